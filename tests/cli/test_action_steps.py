"""The action's own steps (`action.yml`), run the way a GitHub runner runs them, in a fresh clone of this
repository with a fresh virtual environment: the toolkit installed from the hash-locked runtime and then without
dependencies (not editable), `diff --base` of a revision in the checkout, and `check` against a served mock with
the credentials from the environment, the reports where the upload step takes them.

The runner is imitated in a few lines: each step's `if:` (the action's expressions: `inputs.*`, `always()`, `==`,
`!=`, `&&`), its `env:` with `${{ inputs.* }}` and `${{ runner.temp }}` put in, `run:` under
`bash --noprofile --norc -eo pipefail`, `$GITHUB_PATH` prepended to `PATH` for the steps after, and the upload step
reduced to what it would upload. Installing takes about a minute (the lock's wheels come from the package index).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.cli.served import served_mock

ROOT = Path(__file__).resolve().parents[2]
INSTALL_BOUND = 900  # seconds: a fresh install of the runtime lock takes about a minute here
RUN_BOUND = 600  # seconds: diff takes a second, check --profile ci against the served mock well under a minute
ACCOUNTS = "023e105f4ecef8ad9ca31a8372d0c353, 01a7362d577a6c3019a474fd6f485823"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Action",
    "GIT_AUTHOR_EMAIL": "action@example.com",
    "GIT_COMMITTER_NAME": "Action",
    "GIT_COMMITTER_EMAIL": "action@example.com",
}


@dataclass(frozen=True)
class StepRun:
    name: str
    ran: bool
    code: int
    output: str


def git(repository: Path, *arguments: str) -> str:
    done = subprocess.run(
        ["git", *arguments],
        cwd=repository,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_IDENTITY},
        timeout=120,
    )
    return done.stdout.strip()


def fresh_clone(into: Path) -> tuple[Path, str]:
    """A clone of this repository with the working tree's files on top (committed), so the test judges the files as
    they are; returns it and the revision it was cloned at."""
    git(ROOT, "clone", "--quiet", "--no-hardlinks", str(ROOT), str(into))
    cloned_at = git(into, "rev-parse", "HEAD")
    for name in git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, into / name)
    git(into, "add", "--all")
    git(into, "commit", "--quiet", "--allow-empty", "-m", "the working tree")
    return into, cloned_at


def condition_holds(condition: str, inputs: dict[str, str], failed: bool = False) -> bool:
    """A step's `if:` as a runner reads it, in Python (only the forms action.yml uses): without a status function,
    a step runs only while every step before it succeeded."""
    python = condition or "success()"
    if not re.search(r"\b(always|success)\(\)", python):
        python = f"success() && ({python})"
    python = python.replace("always()", "True").replace("success()", repr(not failed))
    python = python.replace("&&", " and ").replace("||", " or ")
    python = re.sub(r"inputs\.([a-z-]+)", lambda match: repr(inputs[match.group(1)]), python)
    assert re.fullmatch(r"[\sA-Za-z0-9'._/:,=!()-]*", python), f"an expression this runner cannot read: {condition}"
    assert "__" not in python, f"an expression this runner cannot read: {condition}"
    return bool(eval(python, {"__builtins__": {}}, {}))


def put_in(value: str, inputs: dict[str, str], runner_temp: Path) -> str:
    """An `env:` value with its `${{ inputs.* }}` and `${{ runner.temp }}` expressions put in."""
    value = re.sub(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}", lambda match: inputs[match.group(1)], value)
    value = re.sub(r"\$\{\{\s*runner\.temp\s*\}\}", str(runner_temp), value)
    assert "${{" not in value, f"an expression this runner cannot put in: {value}"
    return value


def run_action(workspace: Path, given: dict[str, str], environment: dict[str, str], runner_temp: Path) -> list[StepRun]:
    """Every step of action.yml with the inputs given (the rest at their defaults), as a runner runs them."""
    action = yaml.safe_load((workspace / "action.yml").read_text(encoding="utf-8"))
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    assert set(given) <= set(inputs), f"no such input: {set(given) - set(inputs)}"
    inputs.update(given)
    path_file, summary = runner_temp / "github_path", runner_temp / "step_summary"
    path_file.touch()
    summary.touch()
    base = {
        **environment,
        "GITHUB_ACTION_PATH": str(workspace),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_PATH": str(path_file),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(runner_temp),
    }
    failed = False
    done: list[StepRun] = []
    for step in action["runs"]["steps"]:
        if not condition_holds(step.get("if", ""), inputs, failed):
            done.append(StepRun(step["name"], False, 0, ""))
            continue
        if "uses" in step:  # the upload: what it would take, checked by the test
            done.append(StepRun(step["name"], True, 0, put_in(step["with"]["path"], inputs, runner_temp)))
            continue
        added = [line for line in path_file.read_text().splitlines() if line]
        env = {**base, **{key: put_in(str(value), inputs, runner_temp) for key, value in step.get("env", {}).items()}}
        env["PATH"] = os.pathsep.join([*reversed(added), base["PATH"]])
        script = runner_temp / "step.sh"
        script.write_text(step["run"], encoding="utf-8")
        process = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=INSTALL_BOUND if "pip install" in step["run"] else RUN_BOUND,
            check=False,
        )
        done.append(StepRun(step["name"], True, process.returncode, process.stdout + process.stderr))
        failed = failed or process.returncode != 0
    return done


def clean_environment() -> dict[str, str]:
    """A runner's environment: no Cloudflare settings of this machine, no virtual environment of this project."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("CLOUDFLARE_", "VIRTUAL"))}
    this_venv = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join(
        entry for entry in environment.get("PATH", "").split(os.pathsep) if entry != this_venv
    )
    return environment


def test_the_actions_steps_install_once_diff_a_revision_check_a_served_mock_and_stop_on_a_breaking_change(
    tmp_path: Path,
) -> None:
    workspace, cloned_at = fresh_clone(tmp_path / "checkout")
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    token = "pcaps-contract-dev-token"
    environment = {**clean_environment(), "CLOUDFLARE_API_TOKEN": token}

    with served_mock() as base_url:
        given = {"base-url": base_url, "account-ids": ACCOUNTS, "diff-base": cloned_at, "profile": "quick"}
        install, diff, check, upload = run_action(workspace, given, environment, runner_temp)

    assert install.code == 0, install.output[-3000:]
    assert (diff.ran, diff.code) == (True, 0), diff.output[-3000:]
    assert f"{cloned_at}:spec/pcaps-ownership.openapi.yaml -> spec/pcaps-ownership.openapi.yaml" in diff.output
    assert "spec/pcaps-ownership.openapi.yaml" in (runner_temp / "step_summary").read_text(encoding="utf-8")
    assert (check.ran, check.code) == (True, 0), check.output[-3000:]
    assert "the implementation keeps the contract" in check.output
    assert token not in check.output
    assert upload.ran
    reports = workspace / upload.output
    assert {"result.json", "junit.xml", "report.html", "events.ndjson"} <= {path.name for path in reports.iterdir()}
    assert all(token not in path.read_text(encoding="utf-8") for path in reports.iterdir())
    venv_bin = Path((runner_temp / "github_path").read_text(encoding="utf-8").split()[0])
    where = subprocess.run(
        [str(venv_bin / "python"), "-c", "import pcaps_contract; print(pcaps_contract.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "site-packages" in where and not where.startswith(str(workspace)), "an install as users get it"

    # A breaking change of the spec: the diff step fails and the gate does not run, unless it is allowed.
    spec = workspace / "spec" / "pcaps-ownership.openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    assert "enum: [pending, success, failed]" in text
    changed = text.replace("enum: [pending, success, failed]", "enum: [pending, success, failed, gone]")
    spec.write_text(changed, encoding="utf-8")
    git(workspace, "commit", "--quiet", "--all", "-m", "a status value strict clients reject")
    marker = runner_temp / "pcaps-contract" / "installed-from"
    installed = marker.stat().st_mtime_ns
    (runner_temp / "step_summary").write_text("")
    given = {"diff-base": cloned_at, "base-url": "http://127.0.0.1:9/client/v4"}

    refused = run_action(workspace, {**given, "allow-breaking": "false"}, environment, runner_temp)
    allowed = run_action(workspace, {**given, "allow-breaking": "true", "check": "false"}, environment, runner_temp)

    install, diff, check, upload = refused
    assert install.code == 0 and marker.stat().st_mtime_ns == installed, "installed once per job"
    assert (diff.ran, diff.code) == (True, 1), diff.output[-3000:]
    assert "`gone`" in diff.output
    assert "`gone`" in (runner_temp / "step_summary").read_text(encoding="utf-8")
    assert not check.ran, "a breaking change stops the job before the gate"
    assert upload.ran, "the upload runs whatever the outcome"
    install, diff, check, upload = allowed
    assert (diff.ran, diff.code) == (True, 0), diff.output[-3000:]
    assert not check.ran and not upload.ran


def test_the_runner_imitation_reads_the_conditions_the_action_uses() -> None:
    inputs = {"check": "true", "upload-report": "false", "diff-base": ""}
    assert condition_holds("inputs.check == 'true'", inputs)
    assert not condition_holds("inputs.check == 'true'", inputs, failed=True)
    assert not condition_holds("inputs.diff-base != ''", inputs)
    assert not condition_holds("", inputs, failed=True)
    assert condition_holds("always() && inputs.check == 'true'", inputs, failed=True)
    assert not condition_holds("always() && inputs.check == 'true' && inputs.upload-report == 'true'", inputs)
    with pytest.raises(AssertionError, match="cannot read"):
        condition_holds("inputs.check == 'true' && __import__('os')", inputs)
