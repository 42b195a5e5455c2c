"""ARCHITECTURE.md's house, read from the code: every import of every module, by `ast`.

The house has a ground floor (the `_name` modules at the package's root, each a leaf or nearly), then layers that
stand only on what is below them (openapi, judge, engine, report), then the doors (one package per command, plus
the mock); each package of the house is entered by its face (`__init__`) alone.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from pcaps_contract._face import names_in

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "pcaps_contract"
CLIENT = ROOT / "generated" / "pcaps_client"

GROUND = {"_compat", "_credentials", "_errors", "_extras", "_face", "_files", "_internal", "_json", "_limits"}
GROUND |= {"_serving", "_terminal", "_text", "_urls"}
# Each layer may import the ground floor and the layers before it, never one after it.
LAYERS = ("openapi", "judge", "engine", "report")
DOORS = ("gate", "fuzz", "passive", "compare", "codegen", "diff", "lint", "mock", "contract_tests")
HOUSE = (*LAYERS, *DOORS[:-2])  # the packages entered by a face; the mock's and the pytest suite's are public
# A door may stand on another door only here, each for the reason given.
DOOR_ARROWS = {
    ("codegen", "diff"),  # a release records what changed since the last one
    ("contract_tests", "gate"),  # the pytest door is the gate's run, told through pytest
    ("replay", "fuzz"),  # a replay file names a finding of fuzz
    ("compare", "gate"),  # each side is resolved and refused as `check` resolves and refuses its target
    ("compare", "passive"),  # each side's verdicts, and a recording, are judged and read as `verify` does
}


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
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pcaps_contract.judge import checks`
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


def room(name: str) -> str:
    """The part of the house a module is in: its package, or `ground` for a `_name` module at the root."""
    parts = name.split(".")
    if len(parts) == 1:
        return "face"  # the package's own `__init__`: the public names, loaded lazily
    return "ground" if parts[1] in GROUND else parts[1]


def arrows() -> set[tuple[str, str, str]]:
    """(importer, imported, the importer's module) for every import that crosses from one room to another."""
    found = set()
    for name in MODULES:
        for item in ours(name):
            if room(item) != room(name):
                found.add((room(name), room(item), name))
    return found


def test_the_reading_sees_the_modules_and_their_imports() -> None:
    assert "pcaps_contract.gate.run" in MODULES and "pcaps_contract.judge.checks" in ours("pcaps_contract.gate.run")
    assert room("pcaps_contract._errors") == "ground" and room("pcaps_contract.engine.sender") == "engine"
    assert ("engine", "judge", "pcaps_contract.engine.listing") in arrows()


def test_the_ground_floor_stands_on_nothing_above_it() -> None:
    """The `_name` modules at the root are what every layer shares (errors, text, bounds, JSON, URLs, secrets,
    serving); they stay flat because each is imported by name: a face over them would load uvicorn for all."""
    ground = {name for name in MODULES if room(name) == "ground"}
    assert ground == {f"pcaps_contract.{name}" for name in GROUND}  # a new module joins a room, not the root
    for name in ground:
        assert {room(item) for item in ours(name)} <= {"ground"}, name


@pytest.mark.parametrize("layer", LAYERS)
def test_each_layer_stands_only_on_the_ground_and_the_layers_below_it(layer: str) -> None:
    below = {"ground", "face", *LAYERS[: LAYERS.index(layer)]}
    allowed = below | ({"mock"} if layer == "engine" else set())  # `engine.targets` serves the bundled mock
    found = {(imported, where) for importer, imported, where in arrows() if importer == layer}
    assert {(imported, where) for imported, where in found if imported not in allowed} == set()


def test_the_doors_stand_on_the_layers_and_not_on_each_other() -> None:
    doors = {*DOORS, "replay"}
    crossing = {(a, b) for a, b, _ in arrows() if a in doors and b in doors}
    assert crossing <= DOOR_ARROWS, sorted(crossing - DOOR_ARROWS)
    mock = {b for a, b, _ in arrows() if a == "mock"}
    assert mock <= {"ground", "openapi"}  # the mock is judged; it imports no judge, engine or report


def test_only_the_command_line_knows_every_door() -> None:
    assert {"codegen", "diff", "fuzz", "gate", "lint", "mock", "passive"} <= {b for a, b, _ in arrows() if a == "_cli"}
    assert not {a for a, b, _ in arrows() if b == "_cli"} - {"__main__"}


def test_the_command_line_reaches_each_door_by_its_face_alone() -> None:
    """`_cli` parses and dispatches; every command's body is in its door, which it enters by the face (the mock's
    too), never a module inside: following a command from the command line into its run goes down, never back."""
    faces = {package: importlib.import_module(f"pcaps_contract.{package}") for package in HOUSE}
    served_whole = {f"{face.__name__}.{member}" for face in faces.values() for member in face.__all__}
    inside_a_package = {item for item in ours("pcaps_contract._cli") if item.count(".") > 1} - served_whole
    assert inside_a_package == set()
    assert {room(item) for item in ours("pcaps_contract._cli")} <= {"face", "ground", "openapi", *DOORS}


def test_each_command_handler_only_hands_the_parsed_values_to_its_door() -> None:
    """A `_run_NAME` handler of the command line is one import of a door's face and one call: no body of its own."""
    source = (PACKAGE / "_cli.py").read_text(encoding="utf-8")
    handlers = [
        node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef) and node.name.startswith("_run_")
    ]
    assert len(handlers) >= 8  # lint, check, diff, fuzz, proxy, verify, mock, generate
    for handler in handlers:
        imported, returned = handler.body  # exactly two statements
        assert isinstance(imported, ast.ImportFrom) and imported.module is not None, handler.name
        assert imported.module.count(".") == 1 and room(imported.module) in DOORS, handler.name
        assert isinstance(returned, ast.Return) and isinstance(returned.value, ast.Call), handler.name
        called = returned.value.func
        assert isinstance(called, ast.Name) and called.id == imported.names[0].name, handler.name


@pytest.mark.parametrize("package", HOUSE)
def test_each_package_is_entered_only_by_its_face(package: str) -> None:
    """Another room imports `pcaps_contract.PACKAGE` (or a module the face serves whole, as `judge.checks`),
    never a module inside it: what a package keeps to itself can change without a caller noticing."""
    face = importlib.import_module(f"pcaps_contract.{package}")
    served_modules = {f"pcaps_contract.{package}.{member}" for member in face.__all__}
    for name, found in MODULES.items():
        if room(name) == package:
            continue
        reached = {item for item in found if item.startswith(f"pcaps_contract.{package}.") and item in MODULES}
        assert reached <= served_modules, (name, sorted(reached - served_modules))


@pytest.mark.parametrize("package", HOUSE)
def test_a_face_serves_what_its_type_checked_imports_name_and_every_name_loads(package: str) -> None:
    face = importlib.import_module(f"pcaps_contract.{package}")
    served = names_in((PACKAGE / package / "__init__.py").read_text(encoding="utf-8"))
    assert sorted(face.__all__) == sorted(served)
    for member, (module, attribute) in served.items():
        assert getattr(face, member) is not None, member
        # A name that is also a module of the package is that module: else the first import of the module would
        # replace the name on the package (Python binds a submodule on its parent).
        if (PACKAGE / package / f"{member}.py").is_file():
            assert module == f"pcaps_contract.{package}" and attribute == member, member


@pytest.mark.subprocess  # a fresh interpreter: this one has loaded every module already
def test_importing_a_face_loads_none_of_its_modules() -> None:
    import subprocess
    import sys

    program = "import sys; import pcaps_contract.engine, pcaps_contract.judge, pcaps_contract.report\n"
    program += "print(sorted(m for m in sys.modules if m.startswith('pcaps_contract.') and m.count('.') > 1))"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


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
    assert ours("pcaps_contract.openapi.spec") == {"pcaps_contract._errors", "pcaps_contract.openapi.documents"}
    assert ours("pcaps_contract.openapi.documents") <= {
        "pcaps_contract._errors",
        "pcaps_contract._files",
        "pcaps_contract._limits",
        "pcaps_contract._text",
    }


def test_nothing_but_the_reader_parses_yaml() -> None:
    assert {name for name in importers_of("yaml") if inside(name, "pcaps_contract")} == {
        "pcaps_contract.openapi.documents"
    }


def test_the_internal_error_sentence_imports_only_the_text_rule() -> None:
    assert ours("pcaps_contract._internal") == {"pcaps_contract._text"}


def test_only_the_engine_drives_schemathesis() -> None:
    allowed = {
        "pcaps_contract.engine.schema",
        "pcaps_contract.engine.events",
        "pcaps_contract.engine.phases",
        "pcaps_contract.engine.routing",
        "pcaps_contract.fuzz.run",
        "pcaps_contract.engine.targets",  # only `is_asgi_app`, to tell an ASGI app from a WSGI one
    }
    assert importers_of("schemathesis") <= allowed


def test_only_the_generators_import_hypothesis() -> None:
    allowed = {
        "pcaps_contract.engine.data",
        "pcaps_contract.engine.profiles",
        "pcaps_contract._compat",  # only to compute its Unicode tables before threads start
        "pcaps_contract.gate.lifecycle",
        "pcaps_contract.fuzz.run",
        "pcaps_contract.engine.schema",
    }
    assert importers_of("hypothesis") <= allowed


def test_only_targets_challenges_and_the_command_line_know_the_mock() -> None:
    outside = {name for name in importers_of("pcaps_contract.mock") if not inside(name, "pcaps_contract.mock")}
    assert outside <= {"pcaps_contract.engine.targets", "pcaps_contract.engine.challenges", "pcaps_contract._cli"}


def test_codegen_and_diff_meet_only_in_the_release() -> None:
    both = {
        name
        for name in MODULES
        if {item for item in ours(name) if inside(item, "pcaps_contract.codegen")} - {name}
        and {item for item in ours(name) if inside(item, "pcaps_contract.diff")}
    }
    # `generate` prints the table of what its release planned; the command line only dispatches to both faces
    assert both <= {"pcaps_contract.codegen.release", "pcaps_contract.codegen.command", "pcaps_contract._cli"}
    assert not {item for item in ours("pcaps_contract.diff") if inside(item, "pcaps_contract.codegen")}


def test_the_sending_layer_stands_on_its_own() -> None:
    layer = {"pcaps_contract._urls", "pcaps_contract.engine.ratelimit", "pcaps_contract.engine.sender"}
    for name in layer:
        # (`from pcaps_contract.engine.ratelimit import ...` names the package too: its face loads nothing)
        assert ours(name) - {"pcaps_contract.engine"} <= layer | {
            "pcaps_contract._errors",
            "pcaps_contract._limits",
            "pcaps_contract._json",
        }, name


def test_the_bounded_json_reader_imports_only_the_bounds_and_the_errors() -> None:
    assert ours("pcaps_contract._json") <= {"pcaps_contract._errors", "pcaps_contract._limits"}


def test_the_proxy_s_judge_thread_is_plain_rules_and_threads() -> None:
    assert ours("pcaps_contract.passive.off_path") <= {
        "pcaps_contract._limits",
        "pcaps_contract.passive.judging",
        "pcaps_contract.passive.traffic",
    }
    assert not {item for item in MODULES["pcaps_contract.passive.off_path"] if item.split(".")[0] in {"httpx"}}
    assert not {item for item in MODULES["pcaps_contract.passive.off_path"] if item.split(".")[0] in {"uvicorn"}}


def test_every_json_body_from_outside_is_read_by_the_bounded_reader() -> None:
    readers = {"pcaps_contract.judge.checks", "pcaps_contract.judge.conformance", "pcaps_contract.passive.judging"}
    readers |= {"pcaps_contract.passive.traffic", "pcaps_contract.engine.sender"}
    for name in readers:
        assert "pcaps_contract._json" in ours(name), name
        source = (PACKAGE.parent / f"{name.replace('.', '/')}.py").read_text(encoding="utf-8")
        assert not re.search(r"\bjson\.loads?\(", source), name


def test_the_semantics_and_the_reports_load_no_engine_library() -> None:
    """`judge` and `report` are plain rules and writers: no schemathesis, Hypothesis or web framework."""
    for name in MODULES:
        if room(name) in {"judge", "report", "openapi"} or name == "pcaps_contract._credentials":
            heavy = {item.split(".")[0] for item in MODULES[name]} & {"schemathesis", "hypothesis", "starlette"}
            assert not heavy, name


def test_the_rule_of_real_answers_stands_on_the_checks_and_the_spec_alone() -> None:
    assert ours("pcaps_contract.judge.real_answers") <= {
        "pcaps_contract.judge",
        "pcaps_contract.judge.checks",
        "pcaps_contract._errors",
        "pcaps_contract.openapi",
    }
    assert "pcaps_contract.judge" in ours("pcaps_contract.fuzz.run")


def test_the_generated_client_imports_nothing_of_the_toolkit() -> None:
    for path in CLIENT.rglob("*.py"):
        assert not {item for item in imports(path, CLIENT.parent) if item.split(".")[0] == "pcaps_contract"}, path


def test_the_passive_door_drives_no_engine_and_knows_no_mock() -> None:
    for name in MODULES:
        if room(name) == "passive":
            assert not {item.split(".")[0] for item in MODULES[name]} & {"schemathesis", "hypothesis"}, name
            assert not {room(item) for item in ours(name)} & {"engine", "mock", "gate", "fuzz"}, name


def test_the_paging_rules_are_pure_and_their_reader_stands_on_them_alone() -> None:
    """`judge.paging` (a listing's pages and union) is plain rules; `engine.listing` (the one reader of a whole
    listing) and `engine.quiet` (the writes' hold) stand on the judge alone; the sender only calls what it is
    handed."""
    plain = {"pcaps_contract.judge", "pcaps_contract.openapi", "pcaps_contract._json", "pcaps_contract._limits"}
    plain |= {"pcaps_contract.openapi.api", "pcaps_contract.engine"}
    judge = {name for name in MODULES if room(name) == "judge"}
    for name in ("pcaps_contract.judge.paging", "pcaps_contract.engine.listing", "pcaps_contract.engine.quiet"):
        assert ours(name) - judge - {"pcaps_contract.engine.quiet"} <= plain, name
        third_party = {item.split(".")[0] for item in MODULES[name]} - {"pcaps_contract", "__future__"}
        stdlib = {"json", "math", "re", "threading", "collections", "contextlib", "dataclasses", "functools"}
        assert third_party <= stdlib | {"typing", "urllib"}, name
    assert (
        ours("pcaps_contract.engine.sender") & {"pcaps_contract.engine.listing", "pcaps_contract.engine.quiet"} == set()
    )
    readers = {name for name, found in MODULES.items() if "pcaps_contract.engine.read_whole_listing" in found}
    assert readers == {"pcaps_contract.gate.lanes"}


def test_the_account_model_is_plain_rules_that_every_door_may_consult() -> None:
    # Lanes, schemathesis's phases (through the sender) and the passive judge all feed it: it drives nothing.
    plain = {"pcaps_contract.openapi", "pcaps_contract.openapi.api", "pcaps_contract._json", "pcaps_contract._limits"}
    assert ours("pcaps_contract.judge.model") <= plain


def test_the_report_writers_encode_what_a_run_recorded_and_load_no_run_library() -> None:
    """Each writer only encodes a run's redacted report for its format."""
    allowed = {"ground", "face", "openapi", "judge", "engine", "report"}
    for name in MODULES:
        if room(name) == "report":
            assert {room(item) for item in ours(name)} <= allowed, name
            heavy = {item.split(".")[0] for item in MODULES[name]} & {"schemathesis", "hypothesis", "httpx"}
            assert not heavy, name


def test_the_report_is_data_and_each_format_has_a_writer_of_its_own() -> None:
    """`report.run_report` holds what a run found and its verdict; text, JSON and JUnit are each written by a module
    of their own, which imports no other writer (the report's `render`, `as_json`, `junit_xml` only call them)."""
    writers = {f"pcaps_contract.report.{name}" for name in ("text", "json_document", "junit")}
    assert writers <= set(MODULES)
    assert {"xml.etree", "xml.etree.ElementTree", "pcaps_contract._text"} & MODULES[
        "pcaps_contract.report.run_report"
    ] == set()
    for writer in writers:
        assert ours(writer) & writers == set(), writer
    report = {name for name in importers_of("xml.etree") if inside(name, "pcaps_contract.report")}
    assert report == {"pcaps_contract.report.junit"}


def test_each_engine_module_keeps_to_its_one_job() -> None:
    """The targets do not read challenges, the cleanup handles no signal, and recording the engine's events does
    not run the engine (routing its requests is the running's part)."""
    assert importers_of("signal") - {"pcaps_contract._serving"} == {"pcaps_contract.engine.signals"}
    assert "pcaps_contract.engine.challenges" not in ours("pcaps_contract.engine.targets")
    assert "pcaps_contract.engine.routing" not in ours("pcaps_contract.engine.events")
    assert "pcaps_contract.engine.events" in ours("pcaps_contract.engine.phases")
    assert "schemathesis.engine.from_schema" in MODULES["pcaps_contract.engine.phases"]
    assert "schemathesis.engine.from_schema" not in MODULES["pcaps_contract.engine.events"]


def test_a_runs_aim_is_resolved_in_one_place() -> None:
    """Check and fuzz resolve their target, credentials and accounts through `engine.aim` alone (no door builds
    a target or reads credentials on its own); `replay` only re-sends a recorded request with the credentials of
    the environment."""
    resolving = {
        "pcaps_contract._credentials.resolve_credentials",
        "pcaps_contract.engine.targets.app_target",
        "pcaps_contract.engine.targets.base_url_target",
        "pcaps_contract.engine.targets.bundled_mock",
        "pcaps_contract.engine.targets.load_app",
    }
    assert {name for name, found in MODULES.items() if found & resolving} == {
        "pcaps_contract.engine.aim",
        "pcaps_contract.replay",
    }


COMPARE_PURE = (
    "pcaps_contract.compare.normalize",
    "pcaps_contract.compare.divergence",
    "pcaps_contract.compare.result",
)


def test_compare_drives_no_engine_of_its_own_and_its_rules_are_pure() -> None:
    """`compare/` sends through the engine and judges through the passive judge: it drives neither
    schemathesis nor Hypothesis, knows the mock only as `engine` hands it, and only the command line imports it;
    its normalisation and divergence rules import neither the sender nor the judges."""
    found = {name for name in MODULES if inside(name, "pcaps_contract.compare")}
    assert set(COMPARE_PURE) <= found
    for name in found:
        assert not {item for item in MODULES[name] if item.split(".")[0] in {"schemathesis", "hypothesis"}}, name
        assert not {item for item in ours(name) if inside(item, "pcaps_contract.mock")}, name
    outside = {name for name in importers_of("pcaps_contract.compare") if not inside(name, "pcaps_contract.compare")}
    assert outside == {"pcaps_contract._cli"}
    pure = {"pcaps_contract", "pcaps_contract.openapi", "pcaps_contract.openapi.api", "pcaps_contract.judge"}
    pure |= {"pcaps_contract.judge.checks", "pcaps_contract.report"}
    pure |= {"pcaps_contract._limits", *COMPARE_PURE}
    for path in (PACKAGE / "compare").glob("*.py"):  # answers and recordings are read by the bounded reader only
        assert not re.search(r"\bjson\.loads?\(", path.read_text(encoding="utf-8")), path.name
    for name in COMPARE_PURE:
        assert ours(name) <= pure, name


# To go: the sending layer's own callback for the lines it notes (the fuzz door hands it `FuzzRun.note`, which
# puts each on the stream); the stream lives in the report layer, above the engine.
OTHER_HANDLER_SHAPES = {("pcaps_contract.engine.sender", "EventSink")}


def test_every_output_of_a_run_is_a_listener_of_the_one_stream() -> None:
    """`report.stream` declares the one shape that handles a run's events; no module declares another (a
    `...Listener` or `...Sink` class or alias) for outputs to be fed through."""
    shapes: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = [node.name] if isinstance(node, ast.ClassDef) else []
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [target.id for target in targets if isinstance(target, ast.Name)]
            shapes.update((module_name(path), name) for name in names if name.endswith(("Listener", "Sink")))
    assert shapes == {("pcaps_contract.report.stream", "Listener"), *OTHER_HANDLER_SHAPES}
    assert ours("pcaps_contract.report.stream") <= {
        "pcaps_contract._credentials",
        "pcaps_contract.judge",
        "pcaps_contract.report.run_report",
    }  # the events carry what a run records; the stream itself knows no output
