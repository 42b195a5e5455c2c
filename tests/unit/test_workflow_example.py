"""The example CI workflow stays valid, keeps its order, and runs only commands the README documents."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "contract.yml"
VENV_BIN = ".venv/bin/"


def workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def run_steps() -> list[dict[str, Any]]:
    return [step for job in workflow()["jobs"].values() for step in job["steps"] if "run" in step]


def command_words(run: str) -> list[str]:
    """The words of a step's command, without the venv prefix and any output redirection."""
    words = shlex.split(run)
    if ">>" in words:
        words = words[: words.index(">>")]
    words[0] = words[0].removeprefix(VENV_BIN)
    return words


def documented_usages() -> list[str]:
    """Every command line the README shows: in backticks or in code blocks, `\\|` unescaped."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    spans = re.findall(r"`([^`\n]+)`", readme.replace("\\|", "|"))
    # A fence may name its language (```python): matched as a plain one, it would pair with the next block's.
    blocks = [line for block in re.findall(r"```[a-z]*\n(.*?)```", readme, re.S) for line in block.splitlines()]
    return [usage.strip() for usage in spans + blocks if usage.startswith(("pcaps-contract ", "python3 "))]


def test_the_workflow_is_a_valid_github_actions_document() -> None:
    document = workflow()
    triggers = document["on"] if "on" in document else document[True]  # YAML 1.1 reads a bare `on` as true
    assert {"pull_request", "push"} <= set(triggers)
    for job in document["jobs"].values():
        assert job["runs-on"] == "ubuntu-latest"
        assert job["timeout-minutes"] <= 15
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
            assert isinstance(step.get("run", ""), str)
            assert len(step.get("run", "").splitlines()) <= 1, "one command per step"


@pytest.mark.parametrize("run", [step["run"] for step in run_steps()])
def test_each_step_runs_a_command_the_readme_documents(run: str) -> None:
    words = command_words(run)
    program = words[:2]
    options = [word for word in words if word.startswith("--")]
    usages = [usage for usage in documented_usages() if usage.split()[:2] == program]
    assert usages, f"README documents no `{' '.join(program)}`"
    assert any(all(option in usage for option in options) for usage in usages), (
        f"README documents `{' '.join(program)}` but not with {options}"
    )


def test_the_steps_install_then_run_lint_diff_generate_then_check_mock_then_staging() -> None:
    words = [command_words(step["run"]) for step in run_steps()]
    # The staging gate is the one with a --base-url.
    commands = [" ".join([*w[:2], "--base-url"] if "--base-url" in w else w[:3]) for w in words]
    order = [
        "python3 -m pip",
        "pcaps-contract lint",
        "pcaps-contract diff --base",
        "pcaps-contract generate --check",
        "pcaps-contract check --profile",
        "pcaps-contract check --base-url",
    ]
    positions = [next(i for i, command in enumerate(commands) if command == wanted) for wanted in order]
    assert positions == sorted(positions)


def test_diff_compares_with_the_base_branch_and_the_checkout_has_its_history() -> None:
    runs = [step["run"] for step in run_steps()]
    assert any(command_words(run)[:4] == ["pcaps-contract", "diff", "--base", "origin/$BASE"] for run in runs)
    checkout = next(step for step in workflow()["jobs"]["contract"]["steps"] if "checkout" in step.get("uses", ""))
    assert checkout["with"]["fetch-depth"] == 0


def test_staging_runs_only_when_its_secrets_exist_and_takes_the_token_from_them() -> None:
    staging = next(step for step in run_steps() if "--base-url" in step["run"])
    assert "STAGING_URL" in staging["if"]
    assert "secrets.STAGING_URL" in workflow()["jobs"]["contract"]["env"]["STAGING_URL"]
    assert staging["env"]["CLOUDFLARE_API_TOKEN"] == "${{ secrets.CLOUDFLARE_API_TOKEN }}"


def test_it_installs_the_runtime_only_from_the_lock_with_hashes_then_the_toolkit_without_dependencies() -> None:
    installs = [
        command_words(step["run"]) for step in run_steps() if command_words(step["run"])[:3] == ["python3", "-m", "pip"]
    ]
    assert installs == [
        ["python3", "-m", "pip", "install", "--require-hashes", "-r", "requirements/runtime.lock"],
        ["python3", "-m", "pip", "install", "--no-deps", "."],
    ]
    assert (ROOT / "requirements" / "runtime.lock").is_file()


def test_every_gate_runs_the_ci_profile_and_writes_reports_that_are_uploaded_whatever_the_outcome() -> None:
    steps = workflow()["jobs"]["contract"]["steps"]
    gates = [
        command_words(step["run"])
        for step in run_steps()
        if command_words(step["run"])[:2] == ["pcaps-contract", "check"]
    ]
    assert len(gates) == 2
    folders = set()
    for words in gates:
        assert words[words.index("--profile") + 1] == "ci", words
        folders.add(words[words.index("--report-dir") + 1])
    assert len(folders) == 2, "each gate needs a folder of its own"
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert all(folder.startswith(upload["with"]["path"]) for folder in folders)
    assert steps.index(upload) == len(steps) - 1


def test_adding_or_removing_the_breaking_change_label_runs_it_again() -> None:
    document = workflow()
    triggers = document["on"] if "on" in document else document[True]
    assert {"opened", "synchronize", "reopened", "labeled", "unlabeled"} <= set(triggers["pull_request"]["types"])
