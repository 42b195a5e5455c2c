"""HTML reports: the Jinja environment of the shared templates (`_templates/_macros.html.j2`) and the gate's page.

Self-contained (inline CSS, no script, no external URL) and rendered from redacted data (`RunReport.shown`, each
failure's texts by `RunReport.redacted`): nothing is replaced in the page after it is rendered. Every value is
HTML-escaped (autoescape on for every template) and every page carries a Content-Security-Policy that lets nothing
run (no script source at all) and no style but the shared stylesheet (allowed by its hash): text that escaped its
escaping still could not act.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Environment

    from pcaps_contract.report.run_report import RunReport

GATE_TEMPLATE = "gate_report.html.j2"
_SURROGATE = re.compile("[\ud800-\udfff]")


def shown_value(value: Any) -> Any:
    """What a template shows of a value: a lone surrogate (which UTF-8 cannot hold) as its escape, e.g. `\\ud800`;
    the value is then HTML-escaped by autoescape like any other."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", value)
    return value


def content_security_policy(stylesheet: str) -> str:
    """A policy that runs no script, loads nothing, and applies only `stylesheet` (the text of the `<style>`)."""
    digest = base64.b64encode(hashlib.sha256(stylesheet.encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; "
        "base-uri 'none'; form-action 'none'; script-src 'none'"
    )


def environment(*packages: tuple[str, str]) -> Environment:
    """A Jinja environment that finds the shared templates, then each (package, folder) given (e.g. the fuzz's).

    A template it loads may `{% from "_macros.html.j2" import style, matrix, failure_card %}`.
    """
    from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

    loaders = [PackageLoader("pcaps_contract", "_templates"), *(PackageLoader(*package) for package in packages)]
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,  # a misspelt field fails the tests rather than rendering blank
        finalize=shown_value,
    )
    # Set before any template loads: an imported template keeps the globals it was first loaded with.
    env.globals["content_security_policy"] = content_security_policy(_stylesheet())
    env.filters["flags"] = flags_unbroken
    return env


# A command-line flag in running text (`--bucket`, `--max-time`): a browser may break a line at its hyphens.
_FLAG = re.compile(r"(?<![\w-])--[A-Za-z][\w-]*")


def flags_unbroken(text: Any) -> Any:
    """The text escaped, each flag in it kept on one line (`<span class="flag">--bucket</span>`)."""
    from markupsafe import Markup, escape

    escaped = str(escape(shown_value(text)))
    return Markup(_FLAG.sub(lambda match: f'<span class="flag">{match.group()}</span>', escaped))


def _stylesheet() -> str:
    """The text of the shared `<style>` element (`_macros.html.j2`), as a browser hashes it."""
    from jinja2 import Environment, PackageLoader

    macros = Environment(loader=PackageLoader("pcaps_contract", "_templates"), autoescape=True)
    rendered = str(macros.get_template("_macros.html.j2").module.style())  # type: ignore[attr-defined]
    return rendered.split(">", 1)[1].rsplit("</style>", 1)[0]


def verdict_class(exit_code: int) -> str:
    """The banner's colour class: ok (conforms), bad (violations, leftovers) or warn (could not judge)."""
    return "ok" if exit_code == 0 else "bad" if exit_code in (1, 3) else "warn"


def render_run_report(report: RunReport, command: str, packages: Sequence[tuple[str, str]] = ()) -> str:
    """The page of a `check`, `proxy` or `verify` run, the verdict first: what stopped the judging, what was left
    behind, the failures; then the matrix, the documented responses seen, the run (its whole command line), notes."""
    shown = report.shown()
    failures: list[dict[str, Any]] = [
        {
            "failure": report.redacted(failure),
            "reproduce": report.reproduction(failure),
            "tags": [f"failed {report.ledger.cells[(failure.operation, failure.check)].failed}x"],
        }
        for failure in report.ledger.failures()
    ]
    return (
        environment(*packages)
        .get_template(GATE_TEMPLATE)
        .render(
            report=shown,
            command=command,
            metadata=shown.metadata,
            counts=report.counts(),
            coverage_rows=report.coverage(),
            failures=failures,
            verdict_class=verdict_class(report.exit_code),
        )
    )
