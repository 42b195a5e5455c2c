"""Fixtures shared by every test of the toolkit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

from pcaps_contract.openapi.spec import Spec, load_spec
from tests.fast import add_option, fast_tests_stay_in_process, mark_and_select

__all__ = ["fast_tests_stay_in_process"]  # an autouse fixture: every test is held to its marks
pytest_plugins = ["pytester"]  # tests/unit/test_fast.py runs scratch suites in-process

SpecEdit = Callable[[dict[str, Any]], None]

# No example may fail for taking long: on two cores shared with other jobs one example in thousands waits a second
# for the CPU, and Hypothesis's default deadline (200 ms) would call that a failure. Tests bound time where it is
# the claim, and budgets bound every run.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_option(parser)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mark_and_select(config, items)


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The bundled spec, loaded once."""
    return load_spec()


def _add_expired_status(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["OwnershipStatus"]["enum"].append("expired")


def _add_region_field(document: dict[str, Any]) -> None:
    document["components"]["schemas"]["Ownership"]["properties"]["region"] = {"type": "string"}


def _reword_add_summary(document: dict[str, Any]) -> None:
    document["paths"]["/accounts/{account_id}/pcaps/ownership"]["post"]["summary"] = "Add a bucket"


@pytest.fixture(scope="session")
def spec_edits() -> dict[str, SpecEdit]:
    """One edit of the spec document of each kind: `breaking` (a response enum value added), `addition`
    (an optional response field) and `documentation` (a summary reworded)."""
    return {"breaking": _add_expired_status, "addition": _add_region_field, "documentation": _reword_add_summary}


@pytest.fixture(scope="session")
def edit_spec_file() -> Callable[[Path, SpecEdit], None]:
    """Apply an edit to a spec file in place."""

    def edit(path: Path, change: SpecEdit) -> None:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(document)
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

    return edit
