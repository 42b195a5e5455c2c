"""Our forks of the generator's templates (spec/templates/) against the pinned generator's own.

spec/templates/UPSTREAM.sha256 records, in `sha256sum` format, the hash of each stock template a fork was made
from: when an upgrade of openapi-python-client changes one, these tests name the fork to re-apply.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
import pytest

from pcaps_contract.codegen import render as codegen

RECORD = codegen.templates_dir() / "UPSTREAM.sha256"


def _recorded() -> dict[str, str]:
    """The record: template name (relative POSIX path) -> sha256 of the stock template the fork was made from."""
    record: dict[str, str] = {}
    for line in RECORD.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        record[name] = digest
    return record


def _ours() -> set[str]:
    return {path.relative_to(codegen.templates_dir()).as_posix() for path in codegen.templates_dir().rglob("*.jinja")}


def _stock() -> set[str]:
    stock = codegen.stock_templates_dir()
    return {path.relative_to(stock).as_posix() for path in stock.rglob("*.jinja")}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_record_names_exactly_the_templates_that_fork_a_stock_one() -> None:
    recorded, forks = set(_recorded()), _ours() & _stock()

    assert sorted(forks - recorded) == [], "forked without a record: record the stock template's hash"
    assert sorted(recorded - forks) == [], (
        "recorded, but the pinned generator has no template of that name any more (the fork is never loaded) or "
        "the fork is gone: re-apply it to the template that replaced it, or drop the line"
    )


def test_no_forked_stock_template_changed_since_its_fork_was_made() -> None:
    stock = codegen.stock_templates_dir()
    stale = [
        f"spec/templates/{name} forks the generator's templates/{name}, which changed: re-apply our changes to "
        f"the new stock template, then record its hash (`sha256sum {name}` in {stock}) in {RECORD.name}\n"
        f"Expected: sha256 {digest} (the stock template the fork was made from)\n"
        f"Received: sha256 {_sha256(stock / name)} ({stock / name})"
        for name, digest in sorted(_recorded().items())
        if (stock / name).is_file() and _sha256(stock / name) != digest
    ]

    if stale:
        pytest.fail("\n".join(stale), pytrace=False)


def test_staging_puts_our_templates_first_and_the_stock_ones_under_stock(tmp_path: Path) -> None:
    staged = codegen.stage_templates(tmp_path)

    assert (staged / "endpoint_module.py.jinja").read_bytes() == (
        codegen.templates_dir() / "endpoint_module.py.jinja"
    ).read_bytes()
    stock = codegen.stock_templates_dir()
    assert (staged / codegen.STOCK_PREFIX / "endpoint_module.py.jinja").read_bytes() == (
        stock / "endpoint_module.py.jinja"
    ).read_bytes()
    staged_stock = staged / codegen.STOCK_PREFIX
    assert {path.relative_to(staged_stock).as_posix() for path in staged_stock.rglob("*.jinja")} == _stock()


def _render_endpoint_fork(stock_text: str) -> str:
    """Our endpoint_module.py.jinja over a stand-in for the stock one, in the generator's Jinja settings."""
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(codegen.templates_dir()),
                jinja2.DictLoader({f"{codegen.STOCK_PREFIX}/endpoint_module.py.jinja": stock_text}),
            ]
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.loopcontrols"],
        keep_trailing_newline=True,
    )
    return environment.get_template("endpoint_module.py.jinja").render()


STOCK_ENDPOINT_STAND_IN = """\
from ...types import Response, UNSET
def _build_response(*, client, response):
    return Response(
        parsed=_parse_response(client=client, response=response),
    )
    response = client.get_httpx_client().request(
        **kwargs,
    )
    response = await client.get_async_httpx_client().request(
        **kwargs
    )
x = response.json()
"""


def test_the_endpoint_fork_applies_its_edits_to_the_stock_text() -> None:
    rendered = _render_endpoint_fork(STOCK_ENDPOINT_STAND_IN)

    assert "from ...types import Response, UNSET, contract_item, contract_mode," in rendered
    assert "    with contract_mode(strict=client.strict):\n        parsed = _parse_response(" in rendered
    assert "        parsed=parsed,\n" in rendered
    assert "    response = client.request(**kwargs)\n" in rendered
    assert "    response = await client.arequest(**kwargs)\n" in rendered
    assert "x = parse_json(response.content)\n" in rendered
    assert "get_httpx_client" not in rendered and "get_async_httpx_client" not in rendered


def test_the_endpoint_fork_stops_the_generation_when_stock_text_it_edits_is_gone() -> None:
    without_async = STOCK_ENDPOINT_STAND_IN.replace("await client.get_async_httpx_client()", "await client.send()")

    with pytest.raises(jinja2.UndefinedError, match=r"endpoint_module.py.jinja no longer applies.*get_async_httpx"):
        _render_endpoint_fork(without_async)
