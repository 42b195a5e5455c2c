"""The sentence of an internal error: one line, a request to report it with the seed, never a secret."""

from __future__ import annotations

import builtins

from hypothesis import given
from hypothesis import strategies as st

from pcaps_contract._credentials import Credentials
from pcaps_contract._internal import cause_of, internal_error

SECRET = "zq7canary-6f0b2d9e41c7a8"
CREDENTIALS = Credentials(token=SECRET)
EXCEPTIONS = sorted(
    (
        value
        for value in vars(builtins).values()
        if isinstance(value, type) and issubclass(value, Exception) and not issubclass(value, BaseExceptionGroup)
    ),
    key=lambda kind: kind.__name__,
)


@given(
    kind=st.sampled_from(EXCEPTIONS),
    before=st.text(max_size=300),
    after=st.text(max_size=300),
    secret_shown=st.sampled_from(["", SECRET, f'"{SECRET}"', SECRET + "\n"]),
    seed=st.none() | st.integers(min_value=0, max_value=2**31),
)
def test_any_error_becomes_one_line_that_asks_for_a_report_and_shows_no_secret(
    kind: type[Exception], before: str, after: str, secret_shown: str, seed: int | None
) -> None:
    try:
        error = kind(before + secret_shown + after)
    except TypeError:  # an exception that needs other arguments: built bare, as a library might
        error = kind.__new__(kind)
    sentence = internal_error(cause_of(error, CREDENTIALS.redact), seed)
    assert sentence.startswith("internal error: please report it with this command line")
    assert (f" and --seed {seed} (" in sentence) == (seed is not None)
    assert f"({kind.__name__}" in sentence
    assert len(sentence.splitlines()) == 1 and len(sentence) < 400
    assert SECRET[:8] not in sentence  # not whole, nor cut short where the sentence is cut


def test_the_cause_is_the_type_and_the_first_line_of_the_text() -> None:
    assert cause_of(SystemError("AST constructor recursion depth mismatch\nmore")) == (
        "SystemError: AST constructor recursion depth mismatch"
    )
    assert cause_of(KeyError()) == "KeyError"
    assert (
        internal_error("KeyError", 5)
        == "internal error: please report it with this command line and --seed 5 (KeyError)"
    )
