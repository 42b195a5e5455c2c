"""A command that needs a missing extra says which to install, in one sentence, exit 2; never a traceback."""

from __future__ import annotations

import sys

import pytest

from pcaps_contract._cli import main
from pcaps_contract._errors import UsageError
from pcaps_contract._extras import require


def without(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make `modules` impossible to import, as when their extra is not installed."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)


@pytest.mark.parametrize(
    ("missing", "argv", "extra"),
    [
        (("boto3",), ["check", "--bucket", "s3://pcaps-bucket?region=us-east-1"], "s3"),
        (("boto3",), ["mock", "--port", "0", "--s3-endpoint", "http://127.0.0.1:9"], "s3"),
        (("openapi_python_client",), ["generate", "--check"], "generate"),
    ],
)
def test_a_missing_extra_is_named_with_exit_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    missing: tuple[str, ...],
    argv: list[str],
    extra: str,
) -> None:
    without(monkeypatch, *missing)

    code = main(argv)

    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.strip().endswith(f"install pcaps-contract[{extra}].")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_require_passes_an_importable_module_and_names_the_extra_of_a_missing_one() -> None:
    require("yaml", "s3", "lint")  # pyyaml, a runtime dependency: no error
    with pytest.raises(UsageError, match=r"^lint needs no_such_module_here, .*install pcaps-contract\[s3\]\.$"):
        require("no_such_module_here", "s3", "lint")
