"""The JUnit XML conventions CI dashboards read (Jenkins' JUnit plugin, GitLab's test reports, GitHub's test
reporter actions), checked on a written file: what they count must be what the file holds."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

COUNTS = ("tests", "failures", "errors", "skipped")
OUTCOMES = ("failure", "error", "skipped")


def read_dashboard_junit(path: Path) -> ElementTree.Element:
    """The file's `<testsuites>` root, after asserting every convention a dashboard relies on.

    testsuites > testsuite > testcase; each testcase has a classname, a name and a non-negative `time`, at most one
    failure/error/skipped child, each with a message; no two testcases share classname and name; the totals on
    each `<testsuite>` are its elements and those on `<testsuites>` their sums; properties have name and value.
    """
    root = ElementTree.parse(path).getroot()
    assert root.tag == "testsuites", root.tag
    suites = root.findall("testsuite")
    assert suites and len(suites) == len(list(root)), "only testsuite elements under testsuites"
    sums = dict.fromkeys(COUNTS, 0)
    seconds = 0.0
    for suite in suites:
        assert suite.get("name"), "a testsuite has a name"
        cases = suite.findall("testcase")
        found = {
            "tests": len(cases),
            "failures": sum(1 for case in cases if case.find("failure") is not None),
            "errors": sum(1 for case in cases if case.find("error") is not None),
            "skipped": sum(1 for case in cases if case.find("skipped") is not None),
        }
        assert {name: int(suite.get(name, "-1")) for name in COUNTS} == found, (suite.attrib, found)
        seconds += float(suite.get("time", "-1"))
        assert float(suite.get("time", "-1")) >= 0
        keys = [(case.get("classname"), case.get("name")) for case in cases]
        assert len(set(keys)) == len(keys), "testcases are told apart by classname and name"
        for case in cases:
            assert case.get("classname") and case.get("name"), case.attrib
            assert float(case.get("time", "-1")) >= 0, case.attrib
            outcomes = [child for child in case if child.tag in OUTCOMES]
            assert len(outcomes) <= 1, f"{case.attrib}: one outcome at most"
            assert all(child.get("message") for child in outcomes), case.attrib
        for prop in suite.iterfind("properties/property"):
            assert prop.get("name") and prop.get("value") is not None, prop.attrib
        for name in COUNTS:
            sums[name] += found[name]
    assert {name: int(root.get(name, "-1")) for name in COUNTS} == sums, (root.attrib, sums)
    assert abs(float(root.get("time", "-1")) - seconds) < 0.01
    return root


def properties(root: ElementTree.Element) -> dict[str, str]:
    """The first suite's properties, by name."""
    return {prop.get("name", ""): prop.get("value", "") for prop in root.iterfind("testsuite/properties/property")}
