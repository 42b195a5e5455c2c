"""The `destination_conf` rule: one pattern that means the same to every engine that reads it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract.openapi.spec import Spec, load_spec

SCHEMA = "/components/schemas/DestinationConf"
PATTERN = load_spec().resolve({"$ref": f"#{SCHEMA}"})["pattern"]

ACCEPTED = [
    "s3://pcaps-bucket?region=us-east-1",
    "gs://pcaps-bucket",
    "r2://pcaps-bucket?account-id=023e105f4ecef8ad9ca31a8372d0c353&access-key-id=a&secret-access-key=b",
    "s3://b",
    "s3://my.bucket.name/some/prefix",
    "gs://bucket#fragment",
    "s3://bucket/",
    "s3://bucket?",
    "s3://bücket-ünïcode",
    "gs://バケット",
    "s3://pcaps\x7f-bucket",  # U+007F lies outside U+0000-U+0020: the rule allows it
]
REJECTED = [
    "",
    "s3://",
    "s3:///path",
    "s3://?region=us-east-1",
    "S3://pcaps-bucket",
    "Gs://pcaps-bucket",
    "http://pcaps-bucket",
    "azure://pcaps-bucket",
    "s3:/pcaps-bucket",
    "s3//pcaps-bucket",
    "pcaps-bucket",
    " s3://pcaps-bucket",
    "s3://pcaps-bucket ",
    "s3://pcaps-bucket\n",
    "s3://pcaps bucket",
    "s3://pcaps\tbucket",
    "s3://pcaps-bucket?region=us east-1",
    "s3://pcaps-bucket\x00",
    "s3://pcaps\x7f-bucket/\x00",
    "s3://#fragment",
    "s3://bucket/path with spaces",
]


@pytest.fixture(scope="module")
def pattern() -> re.Pattern[str]:
    return re.compile(PATTERN)


def test_tables_hold_at_least_twenty_cases() -> None:
    assert len(ACCEPTED) + len(REJECTED) >= 20


@pytest.mark.parametrize("value", ACCEPTED)
def test_bucket_uri_is_accepted(spec: Spec, pattern: re.Pattern[str], value: str) -> None:
    assert spec.errors(SCHEMA, value) == []
    assert pattern.search(value)


@pytest.mark.parametrize("value", REJECTED)
def test_malformed_bucket_uri_is_rejected(spec: Spec, pattern: re.Pattern[str], value: str) -> None:
    assert spec.errors(SCHEMA, value) != []
    assert not pattern.search(value)


@pytest.mark.slow  # over ten seconds on two shared cores
@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.from_regex(PATTERN))
def test_values_generated_from_the_pattern_never_end_in_a_newline(value: str) -> None:
    assert re.search(PATTERN, value)
    assert not any(ord(char) <= 0x20 for char in value), value
    assert value.split("://", 1)[0] in {"s3", "gs", "r2"}
