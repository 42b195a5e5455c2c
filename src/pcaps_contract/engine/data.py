"""Test data realistic enough to reach deep paths: pinned accounts, real-looking bucket URIs, challenges."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, unquote

from hypothesis import strategies as st

from pcaps_contract.openapi import is_identifier

_BUCKET = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=3, max_size=20).map(
    lambda name: f"pcaps-{name}"
)
_HEX32 = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
_REGIONS = st.sampled_from(["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"])
_PATHS = st.sampled_from(["", "/captures", "/pcaps/2026", "/a/b/c"])


def as_the_server_reads(path_value: Any) -> Any:
    """A path parameter as the server reads it: schemathesis keeps path values in their wire form, escapes and all."""
    return unquote(path_value) if isinstance(path_value, str) else path_value


def pinned_account(drawn: Any, accounts: Sequence[str]) -> Any:
    """The `account_id` a case is sent with, in wire form: a valid id the credentials cannot use becomes the first
    of `accounts`, so that the case reaches the handler and writes only where the run may write.

    An id that breaks the spec (e.g. 33 characters) stays as drawn: it is a negative case, refused before anything
    is written. Without accounts nothing is pinned.
    """
    account = as_the_server_reads(drawn)
    if not accounts or not is_identifier(account):
        return drawn
    return quote(account if account in accounts else accounts[0], safe="")


def s3_destination_confs() -> st.SearchStrategy[str]:
    """`s3://BUCKET[/PATH]?region=REGION`, as the reference page shows."""
    return st.builds(lambda bucket, path, region: f"s3://{bucket}{path}?region={region}", _BUCKET, _PATHS, _REGIONS)


def gs_destination_confs() -> st.SearchStrategy[str]:
    """`gs://BUCKET[/PATH]`."""
    return st.builds(lambda bucket, path: f"gs://{bucket}{path}", _BUCKET, _PATHS)


def r2_destination_confs() -> st.SearchStrategy[str]:
    """`r2://BUCKET?account-id=...&access-key-id=...&secret-access-key=...`, as the product docs show."""
    return st.builds(
        lambda bucket, account, key, secret: (
            f"r2://{bucket}?account-id={account}&access-key-id={key}&secret-access-key={secret}"
        ),
        _BUCKET,
        _HEX32,
        _HEX32,
        _HEX32,
    )


def destination_confs() -> st.SearchStrategy[str]:
    """A bucket URI in one of the three documented forms."""
    return st.one_of(s3_destination_confs(), gs_destination_confs(), r2_destination_confs())


def ownership_challenges() -> st.SearchStrategy[str]:
    """What a user pastes as `ownership_challenge`: the challenge file's name or a hex content."""
    return st.one_of(_HEX32.map(lambda hexa: f"ownership-challenge-{hexa}.txt"), _HEX32, st.text(max_size=40))


def made_up_challenges() -> st.SearchStrategy[str]:
    """A challenge no server delivered: 32 random hex characters (a server's own content never collides)."""
    return _HEX32
