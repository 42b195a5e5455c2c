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
