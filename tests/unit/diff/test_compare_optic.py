"""`scripts/compare_optic.py` without npm: its corpus, how it reads both tools' verdicts, and its table."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pcaps_contract.diff import diff_documents
from pcaps_contract.diff.sources import checked
from pcaps_contract.openapi.spec import Spec

ROOT = Path(__file__).resolve().parents[3]


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compare_optic", ROOT / "scripts" / "compare_optic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["compare_optic"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


script = load_script()


def test_the_corpus_has_about_forty_two_uniquely_named_edits_of_both_kinds() -> None:
    names = [edit.name for edit in script.CORPUS]
    assert len(names) == 42 and len(set(names)) == 42
    assert {edit.breaking for edit in script.CORPUS} == {True, False}
    assert all(edit.reason for edit in script.CORPUS)


@pytest.mark.parametrize("edit", script.CORPUS, ids=lambda edit: edit.name)
def test_every_edit_yields_a_valid_different_spec_and_leaves_the_original_alone(spec: Spec, edit: Any) -> None:
    original = json.dumps(spec.document, sort_keys=True)
    old, new = edit.documents(spec.document)
    assert json.dumps(spec.document, sort_keys=True) == original
    assert json.dumps(old, sort_keys=True) != json.dumps(new, sort_keys=True)
    for side, document in (("old", old), ("new", new)):
        if json.dumps(document, sort_keys=True) != original:  # the bundled spec is known valid
            checked(document, side)


@pytest.mark.parametrize("edit", script.CORPUS, ids=lambda edit: edit.name)
def test_pcaps_contract_agrees_with_the_client_s_view_of_every_edit(spec: Spec, edit: Any) -> None:
    changes = diff_documents(*edit.documents(spec.document))
    assert any(change.breaking for change in changes) is edit.breaking, edit.name


def test_optic_s_verdict_is_its_exit_code_and_failed_checks() -> None:
    assert script.optic_verdict(0, "✔ Checks: 52/52 passed") is False
    assert script.optic_verdict(1, "x  Checks: 1/52 passed") is True
    assert script.optic_verdict(1, "Error: could not parse old.json") == "exit 1, no checks ran"
    assert script.optic_verdict(-1, "") == "exit -1, no checks ran"


def test_pcaps_contract_s_verdict_is_its_breaking_count() -> None:
    assert script.pcaps_verdict(1, json.dumps({"breaking": 2})) is True
    assert script.pcaps_verdict(0, json.dumps({"breaking": 0})) is False
    assert script.pcaps_verdict(2, "") == "exit 2, no JSON report"


def test_the_table_marks_wrong_verdicts_and_counts_agreement() -> None:
    first, second = script.CORPUS[0], script.CORPUS[1]
    rows = [script.Row(first, first.breaking, not first.breaking), script.Row(second, second.breaking, "exit 3")]
    table = script.render(rows).splitlines()
    assert table[0] == "| change | expected (generated-client caller) | pcaps-contract | Optic |"
    assert table[2].startswith(f"| {first.name} | ") and table[2].endswith(" ✗ |")
    assert table[3].endswith("| error (exit 3) |")
    assert table[-1] == "pcaps-contract agreed with a client's view on 2 of 2; Optic 1.0.9 on 0 of 2."


def test_without_npm_the_script_says_so_in_one_sentence_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert script.main([]) == 2
    error = capsys.readouterr().err.strip()
    assert error == "npm is not installed, so Optic cannot be installed; install Node.js 18 or later and rerun."


def test_an_unknown_edit_name_is_refused_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert script.main(["--only", "no such edit"]) == 2
    assert "no edit is named no such edit" in capsys.readouterr().err
