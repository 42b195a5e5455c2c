"""A run's report as JUnit XML (`--junit-xml`, the report folder's junit.xml), as CI dashboards read it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from pcaps_contract._files import write_whole
from pcaps_contract.judge import SKIPPED

if TYPE_CHECKING:
    from pcaps_contract.report.run_report import RunReport


def junit_xml(report: RunReport) -> str:
    """JUnit XML as CI dashboards read it (Jenkins, GitLab, GitHub's test reporters).

    One testcase per operation x check that applied (passed or failed, `time` from `Cell.seconds`); an
    `<error>` testcase when the run could not judge (exit 2) and one per ownership left behind (exit 3), beside
    the failures of the findings. The cells that never applied are not tests: their number is the
    `not_applicable` property and the suite's `<system-out>` lists them, with the reasons the run knows. Every
    text is redacted before it goes in, and every character XML 1.0 cannot hold is written as its escape.
    """
    shown = report.shown()
    cases: list[ElementTree.Element] = []
    for operation in report.ledger.operations:
        for check in report.ledger.checks:
            cell = report.ledger.cells.get((operation, check))
            if cell is None or cell.status == SKIPPED:
                continue
            case = ElementTree.Element(
                "testcase", classname=xml_safe(operation), name=xml_safe(check), time=f"{cell.seconds:.3f}"
            )
            if cell.failure is not None:
                failure = report.redacted(cell.failure)
                node = ElementTree.SubElement(
                    case,
                    "failure",
                    message=xml_safe(f"Expected: {failure.expected} / Received: {failure.received}"),
                    type="contract violation",
                )
                node.text = xml_safe(report.render_failure(cell.failure))
            cases.append(case)
    problems = [("pcaps-contract", "the run judges the target", "could not judge", shown.error)] if shown.error else []
    problems += [
        (
            "pcaps-contract.cleanup",
            xml_safe(f"{left.what} is deleted"),
            "left behind",
            f"left behind: {left.described}",
        )
        for left in shown.leftovers
    ]
    for classname, name, kind, text in problems:
        case = ElementTree.Element("testcase", classname=classname, name=name, time="0.000")
        node = ElementTree.SubElement(case, "error", message=xml_safe(text), type=kind)
        node.text = xml_safe(text)
        cases.append(case)
    totals = {
        "tests": str(len(cases)),
        "failures": str(sum(1 for case in cases if case.find("failure") is not None)),
        "errors": str(len(problems)),
        "skipped": "0",
        "time": f"{report.seconds:.3f}",
    }
    root = ElementTree.Element("testsuites", {"name": "pcaps-contract", **totals})
    suite = ElementTree.SubElement(root, "testsuite", {"name": "pcaps-contract", **totals})
    properties = ElementTree.SubElement(suite, "properties")
    missing = report.not_applicable()
    values = {**shown.metadata, "not_applicable": str(sum(len(operations) for operations in missing.values()))}
    for name, value in values.items():
        if value:
            ElementTree.SubElement(properties, "property", name=name, value=xml_safe(value))
    suite.extend(cases)
    if missing:
        out = ElementTree.SubElement(suite, "system-out")
        out.text = xml_safe("not applicable (never judged):\n" + _not_applicable_text(shown, missing))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode") + "\n"


def write_junit(report: RunReport, path: Path) -> None:
    """The JUnit XML of `junit_xml` into `path`."""
    write_whole(path, junit_xml(report))


def _not_applicable_text(report: RunReport, cells: Mapping[str, list[str]]) -> str:
    """One line per check that never applied somewhere: where, and why (or which part of it) when the run knows."""
    every = set(report.ledger.operations)
    lines = []
    for check, operations in cells.items():
        where = "every operation" if set(operations) == every else ", ".join(operations)
        # A reason for a check judged elsewhere names the part never judged ("its success path: ...").
        reason = f": {report.never_judged[check]}" if check in report.never_judged else ""
        lines.append(f"{check} on {where}{reason}")
    return "\n".join(lines)


# What XML 1.0 cannot hold even escaped: most C0 controls, surrogates, U+FFFE and U+FFFF. Fuzzed bodies carry them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """The text with each character XML cannot carry written as its Python escape (`\\x00`), so JUnit parses."""
    return _NOT_XML.sub(lambda match: ascii(match.group())[1:-1], text)
