"""What a comparison found, for people and for CI: terminal text (the verdict first), result.json, junit.xml and
report.html (each divergence side by side, both requests as curl).

Every value is redacted first (one `Redactor` of every side's secrets, as variables), then escaped by the writer of
its format only: the terminal's `printable`, JSON's `json_text`, JUnit's `xml_safe`, HTML's autoescape.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree

from pcaps_contract._credentials import redact_data
from pcaps_contract._files import write_whole
from pcaps_contract._terminal import printable
from pcaps_contract._text import clip, json_text
from pcaps_contract.compare.result import Outcome
from pcaps_contract.report import CTRF_FILE, HTML_FILE, JUNIT_FILE, RESULT_FILE

REPORT_FILES: tuple[str, ...] = ()
SHOWN = 200  # characters of one value on a terminal line or a table cell
TEMPLATE = "compare_report.html.j2"
Redact = Any


def shown(value: Any) -> str:
    """A value as a report shows it: JSON (a string quoted), cut to a line."""
    return clip(json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value), SHOWN)


def document(outcome: Outcome, redact: Redact) -> dict[str, Any]:
    """The outcome as plain data with every secret out of it: what every writer starts from."""
    data: dict[str, Any] = redact_data(outcome.as_json(), redact)
    for key in ("divergences", "allowed", "noise"):
        for item in data[key]:
            item["a_shown"], item["b_shown"] = shown(item["a"]), shown(item["b"])
    return data


def text(outcome: Outcome, redact: Redact) -> str:
    """The terminal report: the verdict, each divergence with both requests, what was allowed or noise, the sides."""
    data = document(outcome, redact)
    lines = [f"compare: {data['verdict']}"]
    for side in data["sides"]:
        broken = ", ".join(f"{check} x{count}" for check, count in side["broken_checks"].items()) or "none"
        lines.append(f"  side {side['name']}: {side['target']} ({side['requests']} requests; checks broken: {broken})")
    for number, item in enumerate(data["divergences"], 1):
        lines.append("")
        lines.append(
            f"{number}. {item['operation']}, case {item['case']} ({item['label']}): {item['path']} ({item['kind']})"
        )
        first, second = [*item["requests"], "A", "B"][:2]
        lines.append(f"   {first}: {item['a_shown']}")
        lines.append(f"   {second}: {item['b_shown']}")
        if item["breaks_the_contract"]:
            lines.append(f"   side {item['breaks_the_contract']} breaks the contract here")
        for name, curl in item["requests"].items():
            lines.append(f"   {name} request: {curl}")
    if data["not_kept"]:
        lines.append(f"... and {data['not_kept']} more difference(s), counted only.")
    for key, what in (("noise", "noise (A and its --noise-from twin differ there too)"), ("allowed", "allowed")):
        if data[key]:
            lines.append("")
            lines.append(f"{len(data[key])} difference(s) {what}:")
            for item in data[key][:20]:
                why = item["allowed_because"] or "noise"
                where = f"case {item['case']} {item['operation']} {item['path']}"
                lines.append(f"  {where}: {item['a_shown']} vs {item['b_shown']} ({why})")
            if len(data[key]) > 20:
                lines.append(f"  ... {len(data[key]) - 20} more in result.json (--report-dir)")
    for note in [*data["skipped"], *data["notes"]]:
        lines.append(f"note: {note}")
    for leftover in data["leftovers"]:
        lines.append(f"left behind: {leftover}")
    if data["seed"] is not None:
        lines.append(f"seed: {data['seed']} (--seed {data['seed']} repeats the cases)")
    lines.append(f"compare: {data['verdict']}")
    return "\n".join(printable(line) for line in lines)


def print_outcome(outcome: Outcome, redact: Redact, stream: TextIO) -> None:
    print(text(outcome, redact), file=stream)


def junit(outcome: Outcome, redact: Redact) -> str:
    """One testcase per case compared (a failure per divergence there), plus the run's own error."""
    from pcaps_contract.report import xml_safe

    data = document(outcome, redact)
    by_case: dict[int, list[dict[str, Any]]] = {}
    for item in data["divergences"]:
        by_case.setdefault(item["case"], []).append(item)
    suite = ElementTree.Element(
        "testsuite",
        name=f"pcaps-contract {data['mode']}",
        tests=str(max(data["cases"], 1)),
        failures=str(len(by_case)),
        errors="1" if data["error"] else "0",
    )
    for case in range(1, data["cases"] + 1):
        testcase = ElementTree.SubElement(suite, "testcase", classname="compare", name=f"case {case}")
        for item in by_case.get(case, []):
            failure = ElementTree.SubElement(
                testcase, "failure", message=xml_safe(f"{item['operation']}: {item['path']} differs")
            )
            failure.text = xml_safe(
                f"A: {item['a_shown']}\nB: {item['b_shown']}\n" + "\n".join(item["requests"].values())
            )
    if data["error"]:
        testcase = ElementTree.SubElement(suite, "testcase", classname="compare", name="the run")
        ElementTree.SubElement(testcase, "error", message=xml_safe(data["error"]))
    return ElementTree.tostring(suite, encoding="unicode")


def html(outcome: Outcome, redact: Redact) -> str:
    from pcaps_contract.report import environment, verdict_class

    data = document(outcome, redact)
    template = environment(("pcaps_contract.compare", "templates")).get_template(TEMPLATE)
    return template.render(result=data, sides=data["sides"], verdict_class=verdict_class(data["exit_code"]))


def write_report_dir(outcome: Outcome, redact: Redact, directory: Path) -> None:
    """result.json, junit.xml and report.html into the folder (the folder's ctrf.json is not one of compare's)."""
    write_whole(directory / RESULT_FILE, json_text(document(outcome, redact), indent=2) + "\n")
    write_whole(directory / JUNIT_FILE, junit(outcome, redact) + "\n")
    write_whole(directory / HTML_FILE, html(outcome, redact) + "\n")
    ctrf = directory / CTRF_FILE
    if ctrf.exists() and ctrf.stat().st_size == 0:  # prepared (touched) by the shared folder check, never written
        ctrf.unlink()
