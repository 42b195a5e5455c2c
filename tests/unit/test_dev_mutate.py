"""`scripts/dev.py mutate`: the module mutmut sees has no decorated function left, and means the same."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def dev_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "scripts" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SAMPLE = '''
registered = []


def keep(function):
    registered.append(function.__name__)
    return function


@keep
def first(x):
    """Doubles."""
    return 2 * x


@keep
def second(x):
    return x + 1


def tagged(tag):
    def decorate(function):
        registered.append(f"{function.__name__} {tag}")
        return function

    return decorate


@tagged(tag=("a", "b"))
def third(x):
    return x - 1


def plain(x):
    return x
'''


def test_each_decorator_becomes_a_call_after_its_function_with_the_same_meaning() -> None:
    rewritten = dev_script().undecorated(SAMPLE)
    assert not re.search(r"^@", rewritten, re.MULTILINE)
    assert "first = keep(first)" in rewritten and "second = keep(second)" in rewritten
    assert 'third = tagged(tag=("a", "b"))(third)' in rewritten
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    exec(compile(SAMPLE, "before", "exec"), before)
    exec(compile(rewritten, "after", "exec"), after)
    assert after["registered"] == before["registered"] == ["first", "second", "third ('a', 'b')"]
    assert after["first"](4) == 8 and after["second"](4) == 5 and after["first"].__doc__ == "Doubles."


def test_the_checks_module_keeps_its_registrations_in_order() -> None:
    source = (ROOT / "src" / "pcaps_contract" / "judge" / "checks.py").read_text(encoding="utf-8")
    rewritten = dev_script().undecorated(source)
    assert not re.search(r"^@.*\ndef ", rewritten, re.MULTILINE)
    order = re.findall(r"^(\w+) = (?:response|lifecycle|tenancy)_check\(judges=", rewritten, re.MULTILINE)
    declared = re.findall(r"^@(?:response|lifecycle|tenancy)_check\(judges=.*\)\ndef (\w+)\(", source, re.MULTILINE)
    assert order == declared and len(order) >= 25


def test_the_guessed_unit_tests_of_a_module_mirror_its_package() -> None:
    guess = dev_script().unit_tests_of
    assert guess("src/pcaps_contract/fuzz/safety.py") == "tests/unit/fuzz/test_safety.py"
    assert guess("src/pcaps_contract/mock/_auth.py") == "tests/unit/mock/test_auth.py"
    assert guess("src/pcaps_contract/_urls.py") == "tests/unit/ground/test_urls.py"


def test_every_unit_test_file_named_after_a_module_is_the_guess_for_that_module() -> None:
    guess = dev_script().unit_tests_of
    source = ROOT / "src" / "pcaps_contract"
    modules = [path for path in source.rglob("*.py") if path.name != "__init__.py"]
    guessed = {guess(path.relative_to(ROOT).as_posix()): path for path in modules}
    named = [path.relative_to(ROOT).as_posix() for path in (ROOT / "tests" / "unit").rglob("test_*.py")]
    found = [name for name in named if name in guessed]
    # A test folder per package, each module's file where `mutate` looks for it: renaming either side breaks this.
    assert len(found) >= 50, sorted(set(named) - set(found))
    for folder in (ROOT / "tests" / "unit").iterdir():
        if folder.is_dir() and folder.name != "__pycache__":
            assert folder.name == "ground" or (source / folder.name).is_dir(), folder
