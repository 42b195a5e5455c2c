"""Recorded traffic: HAR and the proxy's NDJSON read back the same exchanges, secrets never written, bodies capped."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pcaps_contract._errors import UsageError
from pcaps_contract.passive.traffic import Recorded, Recording, Secrets, decoded, har_document, read_traffic

SECRET = "a-real-token-0123456789"
EXCHANGE = Recorded(
    "POST",
    "https://api.example.com/client/v4/accounts/a/pcaps/ownership",
    (("Authorization", f"Bearer {SECRET}"), ("Content-Type", "application/json")),
    b'{"destination_conf": "s3://b"}',
    200,
    (("Content-Type", "application/json"),),
    json.dumps({"echo": SECRET}).encode(),
    1_780_000_000.25,
    1_780_000_000.5,
)


def test_a_har_file_reads_back_its_exchanges(tmp_path: Path) -> None:
    path = tmp_path / "traffic.har"
    path.write_text(json.dumps(har_document([EXCHANGE])), encoding="utf-8")
    [read] = read_traffic(path)
    assert (read.method, read.url, read.status, read.request_body) == (
        EXCHANGE.method,
        EXCHANGE.url,
        200,
        EXCHANGE.request_body,
    )
    assert read.response_body == EXCHANGE.response_body
    assert read.started == pytest.approx(EXCHANGE.started, abs=1e-3)
    assert read.ended == pytest.approx(EXCHANGE.ended, abs=1e-3)


def test_the_recording_names_secrets_as_variables_and_reads_back(tmp_path: Path) -> None:
    secrets = Secrets()
    secrets.learn(EXCHANGE.request_headers)
    recording = Recording(tmp_path / "exchanges.ndjson", secrets)
    recording.write(EXCHANGE)
    recording.close()
    text = (tmp_path / "exchanges.ndjson").read_text(encoding="utf-8")
    assert SECRET not in text
    [read] = read_traffic(tmp_path / "exchanges.ndjson")
    assert read.request_header("authorization") == "Bearer $CLOUDFLARE_API_TOKEN"
    assert read.status == 200 and read.request_body == EXCHANGE.request_body


def test_key_pair_credentials_reproduce_as_the_key_pair_variables() -> None:
    secrets = Secrets()
    headers = (("X-Auth-Email", "me@example.com"), ("X-Auth-Key", "k" * 37))
    secrets.learn(headers)
    credentials = secrets.credentials(headers)
    expected = ['-H "X-Auth-Email: $CLOUDFLARE_EMAIL"', '-H "X-Auth-Key: $CLOUDFLARE_API_KEY"']
    assert credentials.curl_headers() == expected
    assert credentials.redact("me@example.com " + "k" * 37) == "$CLOUDFLARE_EMAIL $CLOUDFLARE_API_KEY"


def test_a_gzip_bomb_inflates_no_further_than_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (8 << 20))
    body, cut = decoded(bomb, "gzip", cap=1 << 20)
    assert len(body) == 1 << 20 and cut


def test_an_unknown_encoding_is_kept_and_not_judged() -> None:
    assert decoded(b"xyz", "br") == (b"xyz", True)


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        ("hello", "neither a HAR file nor NDJSON"),
        ('{"log": 3}', "no `log.entries` list"),
        ('{"log": {"entries": [{"request": {}}]}}', "entry 1 is not a HAR 1.2 entry"),
        ('{"kind": "pcaps-contract-exchange"}\n', "line 1 is not an exchange"),
    ],
)
def test_unreadable_traffic_is_one_sentence(tmp_path: Path, content: str, sentence: str) -> None:
    path = tmp_path / "traffic"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=sentence):
        list(read_traffic(path))


def test_a_missing_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read_traffic(tmp_path / "nothing.har")
