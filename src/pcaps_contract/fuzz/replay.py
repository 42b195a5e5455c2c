"""Writing replay files: one small pytest module per finding, which `pcaps_contract.replay` runs.

Every value is written as a Python literal and redacted first, so that the file itself never holds a secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from pcaps_contract._files import write_whole
from pcaps_contract.fuzz.findings import Finding

_NOT_IDENTIFIER = re.compile(r"[^0-9A-Za-z_]")


def replay_filename(finding: Finding) -> str:
    return f"test_{finding.key}_{_identifier(finding.operation)}_{_identifier(finding.check)}.py"


def _identifier(text: str) -> str:
    return _NOT_IDENTIFIER.sub("_", text) or "_"


def _doc(text: object) -> str:
    """Text for a docstring that reads as itself and cannot end it: every odd character written as an escape."""
    return ascii(str(text))[1:-1].replace('"', "\\x22")


def replay_source(finding: Finding, base_url: str, filename: str) -> str:
    """The replay module of one finding: every value a Python literal (`ascii()`), so it compiles for any bytes."""
    exemplar = finding.exemplar
    path = exemplar.url[len(base_url) :] if exemplar.url.startswith(base_url) else exemplar.url
    fields = [
        ("operation", ascii(finding.operation)),
        ("check", ascii(finding.check)),
        ("method", ascii(exemplar.method)),
        ("path", ascii(path)),
        ("path_parameters", f"json.loads({json.dumps(exemplar.path_parameters, default=str)!a})"),
        ("query", f"json.loads({json.dumps(exemplar.query, default=str)!a})"),
        ("headers", ascii({str(name): str(value) for name, value in exemplar.headers.items()})),
        ("content", repr(exemplar.content)),
        ("authenticated", repr(bool(exemplar.authenticated))),
        ("recorded_status", repr(exemplar.status if isinstance(exemplar.status, int) else None)),
    ]
    request = "".join(f"    {name!r}: {value},\n" for name, value in fields)
    return (
        f'"""Replay of finding {_doc(finding.key)}: `{_doc(finding.check)}` on `{_doc(finding.operation)}` '
        f"(seen {int(finding.count)} time(s) while fuzzing {_doc(base_url)}).\n"
        "\n"
        f"Expected: {_doc(finding.expected)}\n"
        f"Received: {_doc(finding.received)}\n"
        "\n"
        f"Run: pytest {_doc(filename)}\n"
        "It fails while the finding is there and passes once it is fixed. Credentials come from CLOUDFLARE_API_TOKEN\n"
        "(or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY); PCAPS_BASE_URL points it at another deployment.\n"
        '"""\n'
        "\n"
        "import json\n"
        "\n"
        "from pcaps_contract.replay import replay\n"
        "\n"
        f"REQUEST = {{\n{request}}}\n"
        "\n"
        "\n"
        f"def test_{_identifier(finding.check)}_on_{_identifier(finding.operation)}():\n"
        f"    replay(REQUEST, recorded_base_url={base_url!a})\n"
    )


def write_replay(finding: Finding, directory: Path, base_url: str, redact: Callable[[str], str]) -> Path:
    """Write the replay module of one finding, redacted value by value before it is written; returns its path."""
    finding = finding.redacted(redact)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / replay_filename(finding)
    write_whole(path, replay_source(finding, redact(base_url), path.name))
    return path
