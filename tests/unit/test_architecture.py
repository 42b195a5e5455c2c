"""ARCHITECTURE.md's "Who may import whom", read from the code: every import of every module, by `ast`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "pcaps_contract"
CLIENT = ROOT / "generated" / "pcaps_client"


def module_name(path: Path, root: Path = PACKAGE.parent) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path = PACKAGE.parent) -> set[str]:
    """Every module `path` imports, anywhere in it (lazy imports inside functions count too)."""
    found: set[str] = set()
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pcaps_contract import _checks`
    return found


MODULES = {module_name(path): imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def ours(name: str) -> set[str]:
    """The package's own modules `name` imports (names that are attributes, not modules, are dropped)."""
    return {imported for imported in MODULES[name] if imported in MODULES and imported != name}


def importers_of(prefix: str) -> set[str]:
    return {
        name
        for name, found in MODULES.items()
        if any(item == prefix or item.startswith(prefix + ".") for item in found)
    }


def inside(name: str, *packages: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def test_the_reading_sees_the_modules_and_their_imports() -> None:
    assert "pcaps_contract.gate._run" in MODULES and "pcaps_contract._checks" in ours("pcaps_contract.gate._run")


@pytest.mark.parametrize(
    "name", ["pcaps_contract._errors", "pcaps_contract._text", "pcaps_contract._limits", "pcaps_contract._files"]
)
def test_the_leaves_import_nothing_of_the_package(name: str) -> None:
    assert ours(name) == set()


def test_the_serving_imports_only_the_errors_the_limits_and_the_text_leaves() -> None:
    """`_serving` is where the mock and the proxy are bounded: it depends on neither of them (what it logs of a
    client's request is escaped and cut by the one rule of each)."""
    assert ours("pcaps_contract._serving") == {
        "pcaps_contract._errors",
        "pcaps_contract._limits",
        "pcaps_contract._terminal",
        "pcaps_contract._text",
    }


def test_the_spec_reads_its_document_only_through_the_one_reader() -> None:
    assert ours("pcaps_contract._spec") == {"pcaps_contract._errors", "pcaps_contract._documents"}
    assert ours("pcaps_contract._documents") <= {
        "pcaps_contract._errors",
        "pcaps_contract._files",
        "pcaps_contract._limits",
        "pcaps_contract._text",
    }


def test_nothing_but_the_reader_parses_yaml() -> None:
    assert {name for name in importers_of("yaml") if inside(name, "pcaps_contract")} == {"pcaps_contract._documents"}


def test_the_internal_error_sentence_imports_only_the_text_rule() -> None:
    assert ours("pcaps_contract._internal") == {"pcaps_contract._text"}


def test_only_the_engine_modules_drive_schemathesis() -> None:
    allowed = {
        "pcaps_contract.gate._schemathesis",
        "pcaps_contract.gate._events",
        "pcaps_contract._routing",
        "pcaps_contract._fuzz.run",
        "pcaps_contract._targets",  # only `is_asgi_app`, to tell an ASGI app from a WSGI one
    }
    assert importers_of("schemathesis") <= allowed


def test_only_the_generators_import_hypothesis() -> None:
    allowed = {
        "pcaps_contract._data",
        "pcaps_contract._profiles",
        "pcaps_contract._compat",  # only to compute its Unicode tables before threads start
        "pcaps_contract._lifecycle",
        "pcaps_contract._fuzz.run",
        "pcaps_contract.gate._schemathesis",
    }
    assert importers_of("hypothesis") <= allowed


def test_only_targets_and_the_command_line_know_the_mock() -> None:
    outside = {name for name in importers_of("pcaps_contract.mock") if not inside(name, "pcaps_contract.mock")}
    assert outside <= {"pcaps_contract._targets", "pcaps_contract._cli"}


def test_the_mock_never_imports_the_judges() -> None:
    judges = ("pcaps_contract._checks", "pcaps_contract.gate", "pcaps_contract._lifecycle", "pcaps_contract._fuzz")
    for name in MODULES:
        if inside(name, "pcaps_contract.mock"):
            assert not {item for item in ours(name) if inside(item, *judges)}, name


def test_the_judges_never_import_the_mock() -> None:
    for name in MODULES:
        if inside(name, "pcaps_contract._checks", "pcaps_contract._report", "pcaps_contract._fuzz"):
            assert not {item for item in ours(name) if inside(item, "pcaps_contract.mock")}, name


def test_codegen_and_diff_do_not_import_each_other() -> None:
    for name in MODULES:
        if inside(name, "pcaps_contract._codegen"):
            assert not {item for item in ours(name) if inside(item, "pcaps_contract._diff")}, name
        if inside(name, "pcaps_contract._diff"):
            assert not {item for item in ours(name) if inside(item, "pcaps_contract._codegen")}, name


def test_only_release_imports_both_and_the_command_line_leaves_the_release_to_it() -> None:
    both = {
        name
        for name in MODULES
        if {item for item in ours(name) if inside(item, "pcaps_contract._codegen")}
        and {item for item in ours(name) if inside(item, "pcaps_contract._diff")}
    }
    assert both == {"pcaps_contract._release"}
    cli = ours("pcaps_contract._cli")
    assert "pcaps_contract._release" in cli
    assert not {item for item in cli if inside(item, "pcaps_contract._codegen", "pcaps_contract._diff.release")}


def test_the_sending_layer_stands_on_its_own() -> None:
    layer = {"pcaps_contract._urls", "pcaps_contract._ratelimit", "pcaps_contract._sender"}
    for name in layer:
        assert ours(name) <= layer | {"pcaps_contract._errors", "pcaps_contract._limits", "pcaps_contract._json"}, name


def test_the_bounded_json_reader_imports_only_the_bounds_and_the_errors() -> None:
    assert ours("pcaps_contract._json") <= {"pcaps_contract._errors", "pcaps_contract._limits"}


def test_the_proxy_s_judge_thread_is_plain_rules_and_threads() -> None:
    assert ours("pcaps_contract._judging") <= {
        "pcaps_contract._limits",
        "pcaps_contract._passive",
        "pcaps_contract._traffic",
    }
    assert not {item for item in MODULES["pcaps_contract._judging"] if item.split(".")[0] in {"httpx", "uvicorn"}}


def test_every_json_body_from_outside_is_read_by_the_bounded_reader() -> None:
    readers = {"pcaps_contract._checks", "pcaps_contract._conformance", "pcaps_contract._passive"}
    readers |= {"pcaps_contract._traffic", "pcaps_contract._sender"}
    for name in readers:
        assert "pcaps_contract._json" in ours(name), name
        source = (PACKAGE / f"{name.rpartition('.')[2]}.py").read_text(encoding="utf-8")
        assert not re.search(r"\bjson\.loads?\(", source), name


def test_the_pure_modules_import_neither_the_engine_nor_the_mock() -> None:
    pure: tuple[str, ...] = ("pcaps_contract._checks", "pcaps_contract._report", "pcaps_contract._credentials")
    pure += ("pcaps_contract._api", "pcaps_contract._real_answers")
    for name in pure:
        heavy = {item for item in MODULES[name] if item.split(".")[0] in {"schemathesis", "hypothesis", "starlette"}}
        assert not heavy, name
        assert not {item for item in ours(name) if inside(item, "pcaps_contract.mock", "pcaps_contract.gate")}, name


def test_the_rule_of_real_answers_stands_on_the_checks_and_the_spec_alone() -> None:
    assert ours("pcaps_contract._real_answers") <= {
        "pcaps_contract",  # `from pcaps_contract import _checks`
        "pcaps_contract._checks",
        "pcaps_contract._errors",
        "pcaps_contract._spec",
    }
    assert "pcaps_contract._real_answers" in ours("pcaps_contract._fuzz.run")


def test_the_generated_client_imports_nothing_of_the_toolkit() -> None:
    for path in CLIENT.rglob("*.py"):
        assert not {item for item in imports(path, CLIENT.parent) if item.split(".")[0] == "pcaps_contract"}, path


def test_the_passive_judges_drive_no_engine_and_know_no_mock() -> None:
    passive = (
        "pcaps_contract._passive",
        "pcaps_contract._conformance",
        "pcaps_contract._traffic",
        "pcaps_contract._proxy",
    )
    for name in passive:
        assert not {item for item in MODULES[name] if item.split(".")[0] in {"schemathesis", "hypothesis"}}, name
        judges = ("pcaps_contract.mock", "pcaps_contract.gate", "pcaps_contract._lifecycle", "pcaps_contract._fuzz")
        assert not {item for item in ours(name) if inside(item, *judges)}, name


def test_the_paging_rules_are_pure_and_their_reader_stands_on_them_alone() -> None:
    """`judge` (a listing's pages and union) is plain rules over the checks; `engine` (the one reader of a whole
    listing, and the quiet writes hold) stands on those alone, and the sender only calls what it is handed."""
    judge = {name for name in MODULES if inside(name, "pcaps_contract.judge")}
    engine = {name for name in MODULES if inside(name, "pcaps_contract.engine")}
    assert {
        "pcaps_contract.judge.paging",
        "pcaps_contract.engine.listing",
        "pcaps_contract.engine.quiet",
    } <= judge | engine
    plain = {"pcaps_contract", "pcaps_contract._checks", "pcaps_contract._api", "pcaps_contract._json"}
    plain |= {"pcaps_contract._limits"}
    for name in judge | engine:
        allowed = plain | judge | (engine if name in engine else set())
        assert ours(name) <= allowed, name
        third_party = {item.split(".")[0] for item in MODULES[name]} - {"pcaps_contract", "__future__"}
        stdlib = {"json", "math", "re", "threading", "collections", "contextlib", "dataclasses", "functools"}
        assert third_party <= stdlib | {"typing", "urllib"}, name
    assert not {item for item in ours("pcaps_contract._sender") if inside(item, "pcaps_contract.engine")}
    readers = {name for name, found in MODULES.items() if "pcaps_contract.engine.read_whole_listing" in found}
    assert readers == {"pcaps_contract._lifecycle"}


def test_the_account_model_is_plain_rules_that_every_door_may_consult() -> None:
    # Lanes, schemathesis's phases (through the sender) and the passive judge all feed it: it drives nothing.
    plain = {"pcaps_contract", "pcaps_contract._api", "pcaps_contract._json", "pcaps_contract._limits"}
    assert ours("pcaps_contract.judge.model") <= plain
    assert not importers_of("schemathesis") & {"pcaps_contract.judge", "pcaps_contract.judge.model"}


def test_the_contract_s_semantics_are_reached_through_their_face_and_know_no_mock_and_no_door() -> None:
    """`judge/` holds what the contract implies across answers, for every door: pure rules over exchanges, reached
    only through `pcaps_contract.judge`."""
    judges = [name for name in MODULES if inside(name, "pcaps_contract.judge")]
    assert "pcaps_contract.judge.validation" in judges
    for name in set(MODULES) - set(judges):
        assert not {item for item in ours(name) if item.startswith("pcaps_contract.judge.")}, name
    doors = ("pcaps_contract.mock", "pcaps_contract.gate", "pcaps_contract._cli", "pcaps_contract._targets")
    for name in judges:
        assert not {item for item in MODULES[name] if item.split(".")[0] in {"schemathesis", "starlette"}}, name
        assert not {item for item in ours(name) if inside(item, *doors, "pcaps_contract._fuzz")}, name


REPORT_WRITERS = {f"pcaps_contract.report{name}" for name in ("", ".command_line", ".ctrf", ".responses")}


def test_the_report_writers_write_what_the_report_holds_and_import_no_engine_no_mock_no_gate() -> None:
    """Each writer only encodes a `_report.GateReport`'s redacted data for its format: no library of a run."""
    found = {name for name in MODULES if inside(name, "pcaps_contract.report")}
    assert found == REPORT_WRITERS
    allowed = {"pcaps_contract", "pcaps_contract._files", "pcaps_contract._text", "pcaps_contract._report"}
    for name in REPORT_WRITERS:
        assert ours(name) - allowed - REPORT_WRITERS == set(), name
        foreign = {item.split(".")[0] for item in MODULES[name]} - {"__future__", "pcaps_contract"}
        assert foreign <= {"collections", "dataclasses", "datetime", "pathlib", "re", "shlex", "typing"}, name


COMPARE_PURE = (
    "pcaps_contract.compare.normalize",
    "pcaps_contract.compare.divergence",
    "pcaps_contract.compare.result",
)


def test_compare_drives_no_engine_of_its_own_and_its_rules_are_pure() -> None:
    """`compare/` sends through the gate's connection and judges through the passive judge: it drives neither
    schemathesis nor Hypothesis, knows the mock only as `_targets` hands it, and only the command line imports it;
    its normalisation and divergence rules import neither the sender nor the judges."""
    found = {name for name in MODULES if inside(name, "pcaps_contract.compare")}
    assert set(COMPARE_PURE) <= found
    for name in found:
        assert not {item for item in MODULES[name] if item.split(".")[0] in {"schemathesis", "hypothesis"}}, name
        assert not {item for item in ours(name) if inside(item, "pcaps_contract.mock")}, name
    outside = {name for name in importers_of("pcaps_contract.compare") if not inside(name, "pcaps_contract.compare")}
    assert outside == {"pcaps_contract._cli"}
    pure = {"pcaps_contract", "pcaps_contract._api", "pcaps_contract._checks", "pcaps_contract._report"}
    pure |= {"pcaps_contract._limits", *COMPARE_PURE}
    for path in (PACKAGE / "compare").glob("*.py"):  # answers and recordings are read by the bounded reader only
        assert not re.search(r"\bjson\.loads?\(", path.read_text(encoding="utf-8")), path.name
    for name in COMPARE_PURE:
        assert ours(name) <= pure, name
