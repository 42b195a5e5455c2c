"""The command line a report shows (`report.command_line`): every word as given, each secret as its variable."""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import Credentials
from pcaps_contract.report import shown_command

TOKEN = "tok-5f2a9c7e1b3d4f60"

words = st.lists(st.text(st.characters(codec="utf-8"), max_size=30), max_size=8)
secrets = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=12, max_size=40)


@settings(deadline=None)
@given(words, secrets)
def test_a_secret_anywhere_in_the_words_is_shown_as_its_variable_and_the_rest_as_given(
    given_words: list[str], secret: str
) -> None:
    credentials = Credentials(token=secret)
    argv = ["check", "--token", secret, f"--token={secret}", *given_words, f"x{secret}y"]
    shown = shown_command(argv, credentials.redact)
    assert secret not in shown
    # A shell reads back each word, redacted: the secrets as `$CLOUDFLARE_API_TOKEN` (expanded when run again).
    assert shlex.split(shown) == ["pcaps-contract", *(credentials.redact(word) for word in argv)]
    assert ' --token "$CLOUDFLARE_API_TOKEN" ' in shown and ' --token="$CLOUDFLARE_API_TOKEN" ' in shown


def test_a_word_without_a_secret_is_quoted_for_a_shell_and_never_expanded() -> None:
    credentials = Credentials(token=TOKEN)
    argv = ["check", "--base-url", "http://127.0.0.1:8787/client/v4", "--bucket", "s3://b?region=x&y=$HOME", ""]
    shown = shown_command(argv, credentials.redact)
    assert shown == (
        "pcaps-contract check --base-url http://127.0.0.1:8787/client/v4 --bucket 's3://b?region=x&y=$HOME' ''"
    )


def test_the_key_pair_is_shown_as_its_two_variables() -> None:
    credentials = Credentials(email="someone@example.com", api_key="0123456789abcdef0123")
    argv = ["fuzz", "--email", "someone@example.com", "--api-key", "0123456789abcdef0123"]
    assert shown_command(argv, credentials.redact) == (
        'pcaps-contract fuzz --email "$CLOUDFLARE_EMAIL" --api-key "$CLOUDFLARE_API_KEY"'
    )
