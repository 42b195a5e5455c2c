"""HTML reports: the Jinja environment of the shared templates (`_templates/_macros.html.j2`) and the gate's page.

Autoescaped, self-contained (inline CSS, no script, no external URL), and redacted twice: each failure's texts on
their own before rendering (`GateReport.redacted`), the whole page again by whoever writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

    from pcaps_contract._report import GateReport

GATE_TEMPLATE = "gate_report.html.j2"


def environment(*packages: tuple[str, str]) -> Environment:
    """A Jinja environment that finds the shared templates, then each (package, folder) given (e.g. the fuzz's).

    A template it loads may `{% from "_macros.html.j2" import style, matrix, failure_card %}`.
    """
    from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

    loaders = [PackageLoader("pcaps_contract", "_templates"), *(PackageLoader(*package) for package in packages)]
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,  # a misspelt field fails the tests rather than rendering blank
    )


def verdict_class(exit_code: int) -> str:
    """The banner's colour class: ok (conforms), bad (violations, leftovers) or warn (could not judge)."""
    return "ok" if exit_code == 0 else "bad" if exit_code in (1, 3) else "warn"


def render_gate_report(report: GateReport, command: str, packages: Sequence[tuple[str, str]] = ()) -> str:
    """The page of a `check`, `proxy` or `verify` run: verdict, run metadata, matrix, failures, notes, leftovers."""
    failures: list[dict[str, Any]] = [
        {
            "failure": report.redacted(failure),
            "reproduce": report.reproduction(failure),
            "tags": [f"failed {report.ledger.cells[(failure.operation, failure.check)].failed}x"],
        }
        for failure in report.ledger.failures()
    ]
    return report.redact(
        environment(*packages)
        .get_template(GATE_TEMPLATE)
        .render(
            report=report,
            command=command,
            metadata=report.metadata,
            counts=report.counts(),
            failures=failures,
            verdict_class=verdict_class(report.exit_code),
        )
    )
