"""A hostile spec, end to end: every command that reads one refuses it in one sentence, exit 2, reading and
fetching nothing it names.

Each case runs `pcaps-contract` in a fresh process limited to 1 GiB of address space, on files in a temporary
folder; a recorder on 127.0.0.1 counts every request a remote `$ref` would make.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pcaps_contract.openapi.spec import Spec, default_spec_path, load_spec
from tests.cli.test_hostile import Ran, run_command
from tests.hostile.server import serve_recorder

CANARY = "TOKEN-OF-CI-0b7d2c"
BOUND = 60.0


def _spec_with(tmp_path: Path, name: str, schema: dict[str, Any], component: str = "Ownership") -> Path:
    """The bundled spec with one component schema replaced (Ownership: what every operation's answer refers to)."""
    import yaml

    document = yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))
    document["components"]["schemas"][component] = schema
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _commands(spec: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Every command that reads a spec, aimed at `spec` (and at nothing that answers)."""
    traffic = tmp_path / "exchanges.ndjson"
    traffic.touch()
    return {
        "lint": ["lint", str(spec)],
        "diff": ["diff", str(spec), str(default_spec_path())],
        "diff-new": ["diff", str(default_spec_path()), str(spec)],
        "check": ["check", "--spec", str(spec), "--max-examples", "1"],
        "verify": ["verify", "--spec", str(spec), str(traffic)],
        "proxy": ["proxy", "--spec", str(spec), "--upstream", "http://127.0.0.1:9/client/v4", "--port", "0"],
        "generate": ["generate", "--spec", str(spec), "--check"],
    }


def _refused(ran: Ran, spec: Path, *expected: str) -> None:
    """Exit 2 with one sentence that names the spec: no traceback, no second line."""
    assert ran.code == 2, ran.describe()
    lines = ran.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {spec}"), ran.describe()
    assert all(part in lines[0] for part in expected), ran.describe()
    assert "Traceback" not in ran.output and CANARY not in ran.output


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    with serve_recorder("127.0.0.1") as served:
        yield served


def test_a_ref_to_a_local_env_file_is_never_printed(tmp_path: Path) -> None:
    secrets = tmp_path / "ci.env"
    secrets.write_text(f"CLOUDFLARE_API_TOKEN={CANARY}\n")
    spec = _spec_with(tmp_path, "spec.yaml", {"$ref": secrets.as_uri()})
    for name, argv in _commands(spec, tmp_path).items():
        if name in ("lint", "diff", "diff-new", "check"):
            _refused(run_command(argv, tmp_path, BOUND), spec, "outside the document", secrets.as_uri())


def test_a_remote_ref_is_fetched_by_no_command(tmp_path: Path, recorder: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = recorder
    spec = _spec_with(tmp_path, "spec.yaml", {"$ref": f"{url}/evil.yaml#/Ownership"})
    for argv in _commands(spec, tmp_path).values():
        _refused(run_command(argv, tmp_path, BOUND), spec, "outside the document")
    assert received == []


def test_a_ref_cycle_is_one_sentence(tmp_path: Path) -> None:
    spec = _spec_with(tmp_path, "spec.yaml", {"$ref": "#/components/schemas/Ownership"})
    for name, argv in _commands(spec, tmp_path).items():
        if name in ("lint", "diff", "check", "verify"):
            _refused(run_command(argv, tmp_path, BOUND), spec, "`$ref` cycle", "#/components/schemas/Ownership")


def test_a_kilobyte_of_yaml_aliases_is_refused_before_it_grows(tmp_path: Path) -> None:
    lines = ["openapi: 3.1.0", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    spec = tmp_path / "laughs.yaml"
    spec.write_text("\n".join(lines) + "\n")
    assert spec.stat().st_size < 1024
    for name, argv in _commands(spec, tmp_path).items():
        if name in ("verify", "check", "lint", "proxy"):
            _refused(run_command(argv, tmp_path, BOUND), spec, "each YAML alias counted as all it repeats")


def test_a_spec_of_a_gigabyte_is_refused_unread(tmp_path: Path) -> None:
    spec = tmp_path / "huge.yaml"
    with spec.open("wb") as file:
        file.truncate(1 << 30)  # sparse: read whole, it would not fit in the 1 GiB the command runs in
    for name, argv in _commands(spec, tmp_path).items():
        if name in ("lint", "check", "verify", "diff"):
            _refused(run_command(argv, tmp_path, BOUND), spec, "larger than 2 MiB")


def _repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "spec.yaml").write_text(default_spec_path().read_text(encoding="utf-8"))
    identity = ["-c", "user.name=pcaps", "-c", "user.email=pcaps@example.com", "-c", "commit.gpgsign=false"]
    for arguments in (["init", "--quiet"], ["add", "spec.yaml"], ["commit", "--quiet", "-m", "spec"]):
        subprocess.run(["git", *identity, *arguments], cwd=root, check=True, capture_output=True)
    return root


@pytest.mark.parametrize("argument", ["--output={target}:x", "--output={target}", "-p:spec.yaml"])
def test_a_revision_that_looks_like_an_option_writes_nothing(tmp_path: Path, argument: str) -> None:
    root = _repository(tmp_path)
    target = tmp_path / "victim.txt"
    target.write_text("kept\n")
    base = argument.format(target=target)
    ran = run_command(["diff", f"--base={base}", "--spec", str(root / "spec.yaml")], root, BOUND)
    assert ran.code == 2 and "which git would read as an option" in ran.output, ran.describe()
    assert len(ran.output.strip().splitlines()) == 1 and "Traceback" not in ran.output
    assert target.read_text() == "kept\n"


def test_a_plain_revision_is_still_read(tmp_path: Path) -> None:
    """What keeps the refusals honest: a plain revision still compares (no changes since HEAD)."""
    root = _repository(tmp_path)
    ran = run_command(["diff", "--base=HEAD", "--spec", str(root / "spec.yaml")], root, BOUND)
    assert ran.code == 0 and "no changes" in ran.output, ran.describe()


def test_schemathesis_is_handed_the_loaded_document_and_reads_no_file(
    tmp_path: Path, recorder: tuple[str, list[dict[str, Any]]]
) -> None:
    """The gate's engine works on the document the reader loaded, never on the file (read again, refs followed)."""
    from hypothesis import HealthCheck, given, settings

    from pcaps_contract.engine.profiles import get_profile
    from pcaps_contract.engine.schema import build_schema
    from pcaps_contract.gate.options import resolve_options

    url, received = recorder
    loaded = load_spec()
    elsewhere = _spec_with(tmp_path, "spec.yaml", {"$ref": f"{url}/evil.yaml#/x"}, component="OwnershipRequest")
    schema = build_schema(Spec(elsewhere, loaded.document), resolve_options(environ={}), get_profile(None), seed=1)
    results = list(schema.get_all_operations())
    assert received == []
    operations = [result.ok() for result in results]
    add = next(operation for operation in operations if operation.definition.raw.get("operationId") == "add_bucket")

    @settings(max_examples=3, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(add.as_strategy())
    def drawn(case: Any) -> None:
        assert case.operation.label == add.label

    drawn()
    assert len(operations) == 4 and received == []
    assert schema.raw_schema == loaded.document and schema.raw_schema is not loaded.document
