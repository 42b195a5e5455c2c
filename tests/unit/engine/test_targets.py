"""What the gate judges: `--app`, `--base-url` and the bundled mock as targets, and where challenges are read."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import werkzeug.test
from botocore.exceptions import ClientError, EndpointConnectionError

from pcaps_contract._credentials import Credentials
from pcaps_contract._errors import UsageError
from pcaps_contract._urls import Refusal, parse_target
from pcaps_contract.engine.challenges import BucketSource, Delivered, MockRouteSource, challenge_source, parse_bucket
from pcaps_contract.engine.targets import (
    API_BASE_PATH,
    IN_PROCESS_ORIGIN,
    MOCK_ACCOUNTS,
    Target,
    TargetName,
    base_url_target,
    bundled_mock,
    load_app,
    mock_credentials,
    open_target,
)

OWNER, OTHER = MOCK_ACCOUNTS
STRANGER = "f" * 32
IN_PROCESS = IN_PROCESS_ORIGIN + API_BASE_PATH
# --- --app MODULE:ATTR ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("pcaps_unit_targets_app", "is not MODULE:ATTRIBUTE, e.g. `myservice.main:app`."),
        ("pcaps_unit_targets_app:", "is not MODULE:ATTRIBUTE"),
        (":asgi", "is not MODULE:ATTRIBUTE"),
        ("no_such_module_for_pcaps:app", "cannot import no_such_module_for_pcaps"),
        ("pcaps_unit_targets_app:missing", "pcaps_unit_targets_app has no attribute missing; check the name."),
        ("pcaps_unit_targets_app:Holder.missing", "has no attribute Holder.missing"),
        ("pcaps_unit_targets_app:NOT_AN_APP", "pcaps_unit_targets_app:NOT_AN_APP is not an ASGI or WSGI app."),
    ],
)
def test_an_app_reference_that_names_no_app_is_refused_in_one_sentence(
    app_module: str, reference: str, message: str
) -> None:
    with pytest.raises(UsageError) as refused:
        load_app(reference)
    text = str(refused.value)
    assert message in text and text.startswith("--app") and "\n" not in text and text.endswith(".")


def test_an_app_in_the_current_directory_loads_as_an_in_process_target(app_module: str) -> None:
    target = load_app(f"{app_module}:asgi")
    assert target.in_process and target.base_url == IN_PROCESS
    assert target.description == f"{app_module}:asgi (in-process)"
    with target.client() as client:
        answer = client.get("/accounts")
    assert answer.status_code == 200 and answer.text == f"asgi {API_BASE_PATH}/accounts"


def test_a_wsgi_app_is_driven_through_wsgi_and_a_dotted_attribute_is_followed(app_module: str) -> None:
    with load_app(f"{app_module}:Holder.app").client() as client:
        answer = client.get("/accounts")
    assert answer.status_code == 200 and answer.text == f"wsgi {API_BASE_PATH}/accounts"


@pytest.mark.parametrize("attribute", ["asgi", "wsgi"])
def test_an_app_that_crashes_answers_500_as_behind_any_server(app_module: str, attribute: str) -> None:
    with load_app(f"{app_module}:{attribute}").client() as client:
        answer = client.get("/crash")
    assert answer.status_code == 500 and answer.text == "Internal Server Error"


def test_a_crashing_wsgi_app_answers_500_through_werkzeug_too(app_module: str) -> None:
    answer = werkzeug.test.Client(load_app(f"{app_module}:wsgi").app).get("/crash")  # schemathesis's WSGI driver
    assert answer.status_code == 500 and answer.get_data() == b"Internal Server Error"


@pytest.mark.parametrize("attribute", ["asgi", "wsgi"])
def test_an_app_that_crashes_after_its_answer_began_is_not_given_a_second_start(
    app_module: str, attribute: str
) -> None:
    with (
        load_app(f"{app_module}:{attribute}").client() as client,
        pytest.raises(RuntimeError, match="after the answer"),
    ):
        client.get("/late-crash")


# --- --base-url ---------------------------------------------------------------------------------------------


def test_a_base_url_target_is_its_canonical_url_and_not_in_process() -> None:
    target = base_url_target("HTTP://LOCALHOST:8787/client/v4/")
    assert target == TargetName(url=parse_target("http://localhost:8787/client/v4", allow_production=False))
    assert not target.in_process and target.base_url == target.description == "http://localhost:8787/client/v4"
    opened = open_target(target, Credentials(token="t" * 20), MOCK_ACCOUNTS)
    assert opened == Target("http://localhost:8787/client/v4", "http://localhost:8787/client/v4")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://api.cloudflare.com/client/v4", "production API"),
        ("http://staging.example.com/client/v4", "plain http://"),
        ("", "no target"),
    ],
)
def test_a_base_url_is_refused_by_the_url_rules_in_one_sentence(url: str, message: str) -> None:
    with pytest.raises(Refusal, match=message) as refused:
        base_url_target(url)
    assert "\n" not in str(refused.value)


def test_the_production_api_is_a_target_only_when_allowed() -> None:
    assert base_url_target("https://api.cloudflare.com/client/v4", allow_production=True).base_url == (
        "https://api.cloudflare.com/client/v4"
    )


# --- the bundled mock -----------------------------------------------------------------------------------------


def _listing(target: Target, headers: dict[str, str], account: str) -> int:
    with target.client(headers) as client:
        return client.get(f"/accounts/{account}/pcaps/ownership").status_code


def test_the_bundled_mock_accepts_exactly_the_given_token_for_exactly_the_given_accounts() -> None:
    credentials = Credentials(token="a-token-for-this-run")
    target = bundled_mock(credentials, (OWNER,))
    assert target.in_process and target.base_url == IN_PROCESS
    assert _listing(target, credentials.headers(), OWNER) == 200
    assert _listing(target, credentials.headers(), OTHER) in (403, 404)
    assert _listing(target, mock_credentials().headers(), OWNER) in (401, 403)
    assert _listing(target, {}, OWNER) in (401, 403)


def test_the_bundled_mock_accepts_a_key_pair_when_given_one() -> None:
    credentials = Credentials(email="someone@example.com", api_key="a-key-for-this-run")
    target = bundled_mock(credentials, MOCK_ACCOUNTS)
    assert _listing(target, credentials.headers(), OTHER) == 200
    assert _listing(target, {**credentials.headers(), "X-Auth-Key": "another-key"}, OTHER) in (401, 403)


# --- where challenges are read ----------------------------------------------------------------------------


def test_the_mock_route_source_reads_the_challenge_the_mock_delivered_for_an_ownership() -> None:
    credentials = mock_credentials()
    target = bundled_mock(credentials, MOCK_ACCOUNTS)
    with target.client(credentials.headers()) as client:
        created = client.post(f"/accounts/{OWNER}/pcaps/ownership", json={"destination_conf": "s3://b?region=x"})
        ownership_id = created.json()["result"]["id"]
        source = MockRouteSource(client, target.base_url)
        challenge = source.challenge(OWNER, ownership_id, "s3://b?region=x", "", time.monotonic())
        assert source.bucket is None and source.covers("gs://anything")
        assert challenge.content is not None and len(challenge.content) >= 32 and ownership_id not in challenge.content
        assert not challenge.judged  # a test route of the mock, not a bucket: the delivery is not judged on it
        assert source.challenge(OTHER, ownership_id, "s3://b?region=x", "", 0.0) == Delivered(None)
        assert source.challenge(OWNER, "0" * 32, "s3://b?region=x", "", 0.0) == Delivered(None)


@pytest.mark.parametrize(
    ("uri", "endpoint", "message"),
    [
        ("gs://bucket/path", None, "is not an s3:// or r2:// bucket URI"),
        ("s3://", None, "is not an s3:// or r2:// bucket URI"),
        ("bucket-name", None, "is not an s3:// or r2:// bucket URI"),
        ("s3://bucket#fragment", None, "is not an s3:// or r2:// bucket URI"),
        ("r2://bucket", None, "needs `account-id=`"),
        ("s3://bucket", "localhost:9000", "--s3-endpoint must be an http:// or https:// URL"),
    ],
)
def test_a_bucket_uri_or_endpoint_that_cannot_work_is_refused_before_any_request(
    uri: str, endpoint: str | None, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        parse_bucket(uri, endpoint)


def test_an_r2_bucket_reaches_its_account_s_endpoint_with_the_keys_of_its_uri() -> None:
    uri = "r2://pcaps/challenges/?account-id=abc123&access-key-id=AK&secret-access-key=SK"
    source = BucketSource(parse_bucket(uri), environ={"AWS_ACCESS_KEY_ID": "env-ak", "AWS_SECRET_ACCESS_KEY": "env-sk"})
    assert (source.name, source.prefix, source.region) == ("pcaps", "challenges", "auto")
    assert source.endpoint == "https://abc123.r2.cloudflarestorage.com" and source.keys == ("AK", "SK")
    assert source.bucket == uri and source.covers(uri) and not source.covers("r2://pcaps")


def test_an_s3_bucket_takes_its_region_from_the_uri_and_its_keys_from_the_environment() -> None:
    environ = {"AWS_ACCESS_KEY_ID": "env-ak", "AWS_SECRET_ACCESS_KEY": "env-sk"}
    source = BucketSource(parse_bucket("s3://pcaps?region=eu-west-1", "http://127.0.0.1:9000"), environ=environ)
    assert (source.name, source.prefix, source.region, source.endpoint) == (
        "pcaps",
        "",
        "eu-west-1",
        "http://127.0.0.1:9000",
    )
    assert source.keys == ("env-ak", "env-sk")
    assert BucketSource(parse_bucket("s3://pcaps"), environ={}).region == "us-east-1"


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


class _S3:
    """An S3 client that answers get_object from a script (bytes, or an exception to raise) and lists as told."""

    def __init__(self, *answers: bytes | Exception, listing: Exception | None = None) -> None:
        self.answers = list(answers)
        self.keys: list[tuple[str, str]] = []
        self.listing = listing
        self.listed: list[dict[str, Any]] = []

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        self.keys.append((Bucket, Key))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {"Body": _Body(answer)}

    def list_objects_v2(self, **arguments: Any) -> dict[str, Any]:
        self.listed.append(arguments)
        if self.listing is not None:
            raise self.listing
        return {"KeyCount": 0}


class _Stop:
    """A run's stop signal that is never set and records each wait instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def wait(self, timeout: float, /) -> bool:
        self.waits.append(timeout)
        return False


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetObject")


def _source(
    s3: _S3, uri: str = "s3://pcaps/under/here?region=us-east-1", wait: float = 60.0, stop: Any = None
) -> BucketSource:
    source = BucketSource(parse_bucket(uri), environ={}, wait=wait, stop=stop if stop is not None else _Stop())
    source._client = s3
    return source


LONG_AGO = -1e9  # an add whose wait is long over: the bucket is read once


def test_a_challenge_file_is_read_under_the_uri_s_prefix_and_stripped() -> None:
    s3 = _S3(b"  the-challenge\n")
    source = _source(s3)
    found = source.challenge(OWNER, "id", source.bucket, "ownership-challenge-id.txt", time.monotonic())
    assert found == Delivered("the-challenge", judged=True, wait=60.0)
    assert s3.keys == [("pcaps", "under/here/ownership-challenge-id.txt")] and source.problem is None


def test_a_challenge_file_not_there_yet_is_read_again_until_it_comes_within_the_wait() -> None:
    stop = _Stop()
    late = _source(_S3(_error("NoSuchKey"), _error("NoSuchKey"), b"late"), stop=stop)
    assert late.challenge(OWNER, "id", late.bucket, "f.txt", time.monotonic()) == Delivered("late", True, 60.0)
    assert len(stop.waits) == 2 and all(0 < pause <= 1.0 for pause in stop.waits) and late.problem is None


def test_a_challenge_file_that_never_comes_within_the_wait_is_judged_missing_once_then_read_without_waiting() -> None:
    stop = _Stop()
    missing = _S3(*[_error("NoSuchKey")] * 3, b"later")
    source = _source(missing, wait=0.5, stop=stop)
    assert source.challenge(OWNER, "id", source.bucket, "f.txt", LONG_AGO) == Delivered(None, judged=True, wait=0.5)
    assert len(missing.keys) == 1 and stop.waits == []  # the wait after that add was long over
    # A second file that never came is no news: one read, no wait, nothing judged; one that came is judged.
    assert source.challenge(OWNER, "id2", source.bucket, "g.txt", time.monotonic()) == Delivered(None)
    assert source.challenge(OWNER, "id3", source.bucket, "h.txt", time.monotonic()) == Delivered(None)
    assert source.challenge(OWNER, "id4", source.bucket, "i.txt", time.monotonic()) == Delivered("later", True, 0.5)
    assert len(missing.keys) == 4 and stop.waits == []


def test_a_wait_cut_short_by_the_end_of_the_run_judges_nothing() -> None:
    class Stopped(_Stop):
        def wait(self, timeout: float, /) -> bool:
            return True

    source = _source(_S3(_error("NoSuchKey")), stop=Stopped())
    assert source.challenge(OWNER, "id", source.bucket, "f.txt", time.monotonic()) == Delivered(None)
    assert not source.missed


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (_error("AccessDenied"), "AccessDenied"),
        (EndpointConnectionError(endpoint_url="http://x"), "EndpointConnectionError"),
    ],
    ids=["refused", "unreachable"],
)
def test_a_bucket_that_refuses_or_cannot_be_reached_is_given_up_at_once_with_the_reason(
    error: Exception, reason: str
) -> None:
    s3 = _S3(error)
    source = _source(s3)
    assert source.challenge(OWNER, "id", source.bucket, "f.txt", time.monotonic()) == Delivered(None)
    assert len(s3.keys) == 1 and source.problem == f"reading under/here/f.txt from pcaps failed ({reason})"


def test_a_challenge_of_another_bucket_or_without_a_filename_is_never_asked_for() -> None:
    s3 = _S3()
    source = _source(s3)
    assert source.challenge(OWNER, "id", "s3://another?region=us-east-1", "f.txt", 0.0) == Delivered(None)
    assert source.challenge(OWNER, "id", source.bucket, "", 0.0) == Delivered(None)
    assert s3.keys == []


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (_error("NoSuchBucket"), "cannot be read at http://127.0.0.1:9 (NoSuchBucket)"),
        (_error("AccessDenied"), "cannot be read at http://127.0.0.1:9 (AccessDenied)"),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "cannot be reached at http://127.0.0.1:9"),
    ],
    ids=["no-such-bucket", "denied", "unreachable"],
)
def test_a_bucket_the_run_cannot_list_is_refused_in_one_sentence(error: Exception, said: str) -> None:
    s3 = _S3(listing=error)
    source = BucketSource(parse_bucket("s3://pcaps/under?region=us-east-1", "http://127.0.0.1:9"), environ={})
    source._client = s3
    with pytest.raises(UsageError, match=re.escape(said)) as refused:
        source.probe()
    assert s3.listed == [{"Bucket": "pcaps", "Prefix": "under", "MaxKeys": 1}]
    assert str(refused.value).count(". ") == 0 and "\n" not in str(refused.value)


def test_the_challenge_source_is_the_bucket_when_given_else_the_mock_route_in_process_else_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_process = bundled_mock(mock_credentials(), MOCK_ACCOUNTS)
    served = open_target(base_url_target("http://127.0.0.1:8787/client/v4"), mock_credentials(), MOCK_ACCOUNTS)
    bucket = "s3://pcaps?region=us-east-1"
    probed: list[str] = []
    monkeypatch.setattr(BucketSource, "probe", lambda self: probed.append(self.bucket))
    assert isinstance(challenge_source(in_process, None, parse_bucket(bucket)), BucketSource)
    assert isinstance(challenge_source(served, None, parse_bucket(bucket, "http://127.0.0.1:9000")), BucketSource)
    assert isinstance(challenge_source(in_process, None), MockRouteSource)
    assert challenge_source(served, None) is None
    assert probed == [bucket, bucket]  # each bucket listed once, before the run uses it
