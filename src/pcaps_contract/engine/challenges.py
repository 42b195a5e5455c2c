"""Where the lifecycle reads the challenge a server delivered: a real s3:// or r2:// bucket (`BucketSource`), the
bundled mock's development-only route (`MockRouteSource`), or nowhere (`challenge_source` chooses)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs

from pcaps_contract._errors import UsageError
from pcaps_contract._extras import require
from pcaps_contract._limits import DEFAULT_CHALLENGE_WAIT
from pcaps_contract._text import clip
from pcaps_contract.engine.targets import API_BASE_PATH, Target


@dataclass(frozen=True)
class Delivered:
    """What a challenge source found for one ownership.

    `content` is the challenge (None: none found); `judged` says the bucket itself was read, so that what it held
    (or did not hold) within `wait` seconds of the add is the server's doing, not a reading problem.
    """

    content: str | None
    judged: bool = False
    wait: float = 0.0


class ChallengeSource(Protocol):
    """Reads the challenge content the server delivered for an ownership, so that validations can succeed.

    `bucket` is the destination_conf the lifecycle should add now and then (None: any bucket it draws).
    """

    @property
    def bucket(self) -> str | None: ...

    def covers(self, destination_conf: str) -> bool:
        """Whether challenges of this bucket can be read at all."""
        ...

    def challenge(
        self, account: str, ownership_id: str, destination_conf: str, filename: str, added: float
    ) -> Delivered:
        """The challenge delivered for an ownership added at `added` (a `time.monotonic()` instant)."""
        ...


class MockRouteSource:
    """The bundled mock's development-only route `/__mock__/accounts/{account}/challenges/{id}`: in-process, or a
    served mock that advertises it (`advertises_challenges`), through a client that sends no credentials.
    """

    bucket: str | None = None

    def __init__(self, client: Any, base_url: str) -> None:
        self.client = client
        self.origin = base_url.removesuffix(API_BASE_PATH)

    def covers(self, destination_conf: str) -> bool:
        return True

    def challenge(
        self, account: str, ownership_id: str, destination_conf: str, filename: str, added: float
    ) -> Delivered:
        from pcaps_contract._urls import api_path

        response = self.client.get(f"{self.origin}/__mock__{api_path('accounts', account, 'challenges', ownership_id)}")
        return Delivered(str(response.text) if response.status_code == 200 else None)


def advertises_challenges(headers: Mapping[str, str]) -> bool:
    """Whether an answer's headers say the bundled mock's challenge route is served beside the API.

    Only the route the mock has is ever read, whatever a header says: a server cannot point the run elsewhere.
    """
    from pcaps_contract.mock._app import CHALLENGE_HEADER, CHALLENGE_ROUTE

    return headers.get(CHALLENGE_HEADER) == CHALLENGE_ROUTE


class Stop(Protocol):
    """The run's stop signal (an Event, or several as one): `wait` returns True once it is set."""

    def wait(self, timeout: float, /) -> bool: ...


_BUCKET_URI = re.compile(r"(?P<scheme>s3|r2)://(?P<bucket>[^/?#]+)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?")
_DELIVERY_PAUSE = 1.0  # between two reads of a file not there yet


@dataclass(frozen=True)
class Bucket:
    """A `--bucket` URI read once, as plain data: where its challenge files are, and the keys the URI carries.

    `uri` is the text as given: the destination_conf every add of the run names. The keys are never shown.
    """

    uri: str
    name: str
    prefix: str
    endpoint: str | None
    region: str
    keys: tuple[str | None, str | None] = field(default=(None, None), repr=False)  # the URI's own, if any


def parse_bucket(uri: str, endpoint: str | None = None) -> Bucket:
    """`--bucket` (and `--s3-endpoint`) read once, before anything is sent.

    Raises:
        UsageError: the URI is not an s3:// or r2:// bucket, an r2:// one names no account, or the endpoint is not
            an http(s) URL.
    """
    found = _BUCKET_URI.fullmatch(uri)
    if found is None:
        raise UsageError(
            f"--bucket {uri!r} is not an s3:// or r2:// bucket URI, e.g. s3://NAME?region=us-east-1 "
            "or r2://NAME?account-id=...&access-key-id=...&secret-access-key=..."
        )
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"--s3-endpoint must be an http:// or https:// URL, not {endpoint!r}.")
    query = {key: values[0] for key, values in parse_qs(found["query"] or "").items()}
    if found["scheme"] == "r2" and endpoint is None:
        if not query.get("account-id"):
            raise UsageError("--bucket r2://... needs `account-id=` in its query (or give --s3-endpoint).")
        endpoint = f"https://{query['account-id']}.r2.cloudflarestorage.com"
    return Bucket(
        uri=uri,
        name=found["bucket"],
        prefix=found["path"].strip("/"),
        endpoint=endpoint,
        region=query.get("region") or ("auto" if found["scheme"] == "r2" else "us-east-1"),
        keys=(query.get("access-key-id"), query.get("secret-access-key")),
    )


class BucketSource:
    """Reads challenge files from a real s3:// or r2:// bucket through the S3 API (boto3, imported lazily).

    Keys: the R2 URI's `access-key-id`/`secret-access-key`, else the standard AWS variables and files. A file not
    there yet is read again until `wait` seconds after its add (cut short when `stop` is set); once one never
    came, later files are read once, so that a server that never delivers costs the run one wait.
    """

    def __init__(
        self,
        bucket: Bucket,
        environ: Mapping[str, str] | None = None,
        *,
        wait: float = DEFAULT_CHALLENGE_WAIT,
        stop: Stop | None = None,
    ) -> None:
        require("boto3", "s3", "--bucket")
        environ = os.environ if environ is None else environ
        self.bucket = bucket.uri
        self.name = bucket.name
        self.prefix = bucket.prefix
        self.endpoint = bucket.endpoint
        self.region = bucket.region
        access_key, secret_key = bucket.keys
        self.keys = (
            access_key or environ.get("AWS_ACCESS_KEY_ID"),
            secret_key or environ.get("AWS_SECRET_ACCESS_KEY"),
        )
        self.wait = wait
        self.stop = stop
        self.problem: str | None = None  # why the last read failed, for the report's notes
        self.missed = False  # a file that never came within the wait: later reads do not wait again
        self._client: Any = None

    def covers(self, destination_conf: str) -> bool:
        return destination_conf == self.bucket

    def probe(self) -> None:
        """List the bucket once, before anything is written: a bucket the run cannot read is a usage problem.

        Raises:
            UsageError: the endpoint, the bucket or the keys do not let the run list and read it.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        where = f"at {self.endpoint}" if self.endpoint else "on AWS"
        try:
            self._s3().list_objects_v2(Bucket=self.name, Prefix=self.prefix, MaxKeys=1)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "unknown"))
            raise UsageError(
                f"--bucket {self.name} cannot be read {where} ({clip(code, 40)}): check the bucket's name, "
                "--s3-endpoint and the keys (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the R2 URI's); "
                "the run lists the bucket and reads the challenge files in it."
            ) from None
        except (BotoCoreError, ValueError) as exc:
            raise UsageError(
                f"--bucket {self.name} cannot be reached {where} ({type(exc).__name__}): check --s3-endpoint."
            ) from None

    def challenge(
        self, account: str, ownership_id: str, destination_conf: str, filename: str, added: float
    ) -> Delivered:
        if destination_conf != self.bucket or not filename:
            return Delivered(None)
        from botocore.exceptions import BotoCoreError, ClientError

        key = f"{self.prefix}/{filename}" if self.prefix else filename
        deadline = added + (0.0 if self.missed else self.wait)
        while True:
            try:
                body = self._s3().get_object(Bucket=self.name, Key=key)["Body"].read()
            except ClientError as exc:
                code = str(exc.response.get("Error", {}).get("Code", "unknown"))
                if code not in ("NoSuchKey", "404"):
                    self.problem = f"reading {key} from {self.name} failed ({clip(code, 40)})"
                    return Delivered(None)
            except (BotoCoreError, ValueError) as exc:
                self.problem = f"reading {key} from {self.name} failed ({type(exc).__name__})"
                return Delivered(None)
            else:
                self.problem = None
                return Delivered(str(body.decode("utf-8", "replace").strip()), judged=True, wait=self.wait)
            left = deadline - time.monotonic()
            if left <= 0:
                if self.missed:
                    return Delivered(None)  # after a miss, a miss says nothing new
                self.missed = True
                return Delivered(None, judged=True, wait=self.wait)
            if self._stopped(min(left, _DELIVERY_PAUSE)):
                return Delivered(None)  # the run's time is up: the file's fate is unknown

    def _stopped(self, seconds: float) -> bool:
        """Wait `seconds`, or less when the run is stopped; whether it was."""
        if self.stop is None:
            time.sleep(seconds)
            return False
        return self.stop.wait(seconds)

    def _s3(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            access_key, secret_key = self.keys
            self._client = boto3.session.Session().client(
                "s3",
                endpoint_url=self.endpoint,
                region_name=self.region,
                aws_access_key_id=access_key or None,
                aws_secret_access_key=secret_key or None,
                config=Config(
                    s3={"addressing_style": "path"}, retries={"max_attempts": 2}, connect_timeout=5, read_timeout=10
                ),
            )
        return self._client


def challenge_source(
    target: Target,
    client: Any,
    bucket: Bucket | None = None,
    *,
    wait: float = DEFAULT_CHALLENGE_WAIT,
    stop: Stop | None = None,
) -> ChallengeSource | None:
    """Where the lifecycle reads challenges: the given bucket (listed once first), the mock's test route
    in-process, or nowhere.

    Raises:
        UsageError: the bucket cannot be read (see `BucketSource.probe`).
    """
    if bucket is not None:
        source = BucketSource(bucket, wait=wait, stop=stop)
        source.probe()
        return source
    if target.in_process:
        return MockRouteSource(client, target.base_url)
    return None
