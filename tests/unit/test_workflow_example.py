"""The action (`action.yml`) and this repository's workflow that uses it stay valid GitHub Actions documents: the
install from the hash-locked runtime, inputs that never reach a script but through `env:`, credentials from the
environment only, the reports uploaded whatever the outcome, and the order of the workflow's steps.

tests/cli/test_action_steps.py runs the action's scripts themselves."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / ".github" / "workflows" / "contract.yml"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def document(path: Path) -> dict[Any, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def action_steps() -> list[dict[str, Any]]:
    steps = document(ACTION)["runs"]["steps"]
    assert isinstance(steps, list)
    return steps


def workflow_steps() -> list[dict[str, Any]]:
    steps = document(WORKFLOW)["jobs"]["contract"]["steps"]
    assert isinstance(steps, list)
    return steps


def test_the_action_is_a_composite_action_whose_run_steps_name_their_shell() -> None:
    action = document(ACTION)
    assert action["runs"]["using"] == "composite"
    for step in action_steps():
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step["shell"] == "bash"
            assert step["run"].startswith("set -euo pipefail\n"), "a failing command fails the step"


def test_no_input_or_secret_is_pasted_into_a_script_only_passed_through_env() -> None:
    for step in action_steps():
        if "run" in step:
            assert EXPRESSION.search(step["run"]) is None, step["name"]
    for step in workflow_steps():
        if "run" in step:
            assert EXPRESSION.search(step["run"]) is None, step["name"]


def test_the_action_takes_no_credential_as_an_input() -> None:
    inputs = document(ACTION)["inputs"]
    assert not [name for name in inputs if re.search(r"token|key|secret|password|email", name)]
    assert {"base-url", "account-ids", "profile", "diff-base", "report-dir", "upload-report"} <= set(inputs)
    assert all("description" in spec for spec in inputs.values())


def test_it_installs_the_runtime_from_the_lock_with_hashes_then_the_toolkit_of_its_own_ref_without_dependencies() -> (
    None
):
    install = action_steps()[0]["run"]
    commands = [shlex.split(line.strip()) for line in install.splitlines() if "pip install" in line]
    assert [command[3:] for command in commands] == [
        ["install", "--quiet", "--require-hashes", "-r", "$GITHUB_ACTION_PATH/requirements/runtime.lock"],
        ["install", "--quiet", "--no-deps", "$GITHUB_ACTION_PATH"],
    ]
    assert (ROOT / "requirements" / "runtime.lock").is_file()
    assert 'echo "$VENV/bin" >> "$GITHUB_PATH"' in install, "later steps of the job find pcaps-contract"


def test_the_reports_are_uploaded_whatever_the_outcome_as_the_last_step() -> None:
    upload = action_steps()[-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"].startswith("always()")
    assert upload["with"]["path"] == "${{ inputs.report-dir }}"


def test_the_workflow_uses_the_action_from_the_checkout_with_its_history() -> None:
    steps = workflow_steps()
    checkout = next(step for step in steps if step.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0, "diff reads the spec as it is on the base branch"
    uses = [step for step in steps if step.get("uses") == "./"]
    assert len(uses) == 3
    install, mock, staging = uses
    assert install["with"]["check"] == "false"
    assert "github.base_ref" in install["with"]["diff-base"]
    assert "breaking-change" in install["with"]["allow-breaking"]
    assert "base-url" not in mock["with"]
    assert staging["with"]["base-url"] == "${{ env.STAGING_URL }}"
    folders = {step["with"]["report-dir"] for step in (mock, staging)}
    names = {step["with"]["artifact-name"] for step in (mock, staging)}
    assert len(folders) == len(names) == 2, "each gate needs a folder and an artifact of its own"


def test_the_steps_install_and_diff_then_lint_generate_then_check_the_mock_then_staging() -> None:
    names = [step.get("run") or step.get("uses", "") for step in workflow_steps()]
    order = ["actions/checkout", "actions/setup-python", "./", "pcaps-contract lint", "pcaps-contract generate"]
    positions = [next(i for i, name in enumerate(names) if name.startswith(wanted)) for wanted in order]
    assert positions == sorted(positions)
    assert names[-2:] == ["./", "./"]


def test_staging_runs_only_when_its_secrets_exist_and_takes_the_token_from_them_through_env() -> None:
    workflow = document(WORKFLOW)
    staging = next(step for step in workflow_steps() if "base-url" in step.get("with", {}))
    assert "STAGING_URL" in staging["if"]
    assert "secrets.STAGING_URL" in workflow["jobs"]["contract"]["env"]["STAGING_URL"]
    assert staging["env"]["CLOUDFLARE_API_TOKEN"] == "${{ secrets.CLOUDFLARE_API_TOKEN }}"


@pytest.mark.parametrize("path", [ACTION, WORKFLOW])
def test_every_action_the_files_use_is_pinned_to_a_major_version(path: Path) -> None:
    steps = action_steps() if path == ACTION else workflow_steps()
    for step in steps:
        uses = step.get("uses", "./")
        assert uses == "./" or re.fullmatch(r"actions/[a-z-]+@v\d+", uses), uses


def test_the_workflow_is_a_valid_github_actions_document() -> None:
    workflow = document(WORKFLOW)
    triggers = workflow["on"] if "on" in workflow else workflow[True]  # YAML 1.1 reads a bare `on` as true
    assert {"pull_request", "push"} <= set(triggers)
    assert {"opened", "synchronize", "reopened", "labeled", "unlabeled"} <= set(triggers["pull_request"]["types"])
    job = workflow["jobs"]["contract"]
    assert job["runs-on"] == "ubuntu-latest"
    assert job["timeout-minutes"] <= 15
    for step in job["steps"]:
        assert ("uses" in step) != ("run" in step), step
        assert len(step.get("run", "").splitlines()) <= 1, "one command per step"


def test_ci_page_shows_the_action_used_from_another_repository_with_credentials_through_env() -> None:
    page = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    (outside,) = [block for block in re.findall(r"```yaml\n(.*?)```", page, re.S) if "OWNER/pcaps-contract@" in block]
    steps = yaml.safe_load(outside)["jobs"]["contract"]["steps"]
    (gate,) = [step for step in steps if step.get("uses", "").startswith("OWNER/pcaps-contract@")]
    assert gate["env"]["CLOUDFLARE_API_TOKEN"] == "${{ secrets.CLOUDFLARE_API_TOKEN }}"
    assert set(gate["with"]) <= set(document(ACTION)["inputs"]), "every input the page shows exists"
    for name in document(ACTION)["inputs"]:
        assert f"| `{name}` |" in page, f"docs/ci.md does not describe the input {name}"


def test_the_readme_shows_the_action_with_inputs_it_has_and_the_token_through_env() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (snippet,) = [block for block in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "pcaps-contract@" in block]
    (step,) = yaml.safe_load(snippet)
    assert set(step["with"]) <= set(document(ACTION)["inputs"])
    assert step["env"]["CLOUDFLARE_API_TOKEN"] == "${{ secrets.CLOUDFLARE_API_TOKEN }}"
