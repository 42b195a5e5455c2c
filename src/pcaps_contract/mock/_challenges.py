"""Delivering the ownership challenge into the bucket, as Cloudflare does, through any S3-compatible API."""

from __future__ import annotations

import os
import re
import threading
from typing import Any
from urllib.parse import parse_qs

from pcaps_contract._extras import require
from pcaps_contract.mock._envelope import ApiError, ErrorCode
from pcaps_contract.mock._state import Ownership

# Only the parts the delivery needs; whether the URI is acceptable at all is the spec's pattern's job.
_S3_URI = re.compile(r"(?P<scheme>s3|r2)://(?P<bucket>[^/?#]+)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?")
_DEFAULT_REGION = "us-east-1"
# With no key in the URI or the environment, a local S3 store (moto, MinIO in dev mode) still gets a signed request.
_FALLBACK_KEY = ("pcaps-contract-mock", "pcaps-contract-mock")


class ChallengeDelivery:
    """Writes challenge files into `s3://` and `r2://` buckets at one S3 endpoint; other buckets are left alone."""

    def __init__(self, endpoint: str | None) -> None:
        if endpoint is not None:
            require("boto3", "s3", "--s3-endpoint")
        self.endpoint = endpoint
        self._clients: dict[tuple[str, ...], Any] = {}
        self._lock = threading.Lock()

    def delivers(self, destination_conf: str) -> bool:
        """Whether a record for this bucket gets its challenge written into the bucket (a blocking call)."""
        return self.endpoint is not None and _S3_URI.match(destination_conf) is not None

    def deliver(self, record: Ownership) -> None:
        """Put the challenge file into the bucket; raise an ApiError that says why when the store refuses."""
        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

        found = _S3_URI.match(record.destination_conf)
        if self.endpoint is None or found is None:
            return
        bucket = found["bucket"]
        query = parse_qs(found["query"] or "")
        prefix = found["path"].strip("/")
        key = f"{prefix}/{record.filename}" if prefix else record.filename
        try:
            client = self._client(query)
        except ValueError:  # botocore's InvalidRegionError
            raise _refused("the region in destination_conf is not a valid region name; fix `?region=`.") from None
        try:
            client.put_object(Bucket=bucket, Key=key, Body=record.challenge.encode(), ContentType="text/plain")
        except ParamValidationError:
            raise _refused(f"`{bucket}` is not a valid S3 bucket name; fix destination_conf.") from None
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "unknown"))
            if code == "NoSuchBucket":
                raise _refused(
                    f"the bucket `{bucket}` does not exist at the S3 endpoint; create it, then add it again."
                ) from None
            raise _refused(f"the S3 endpoint refused to write the challenge into `{bucket}` ({code}).") from None
        except (BotoCoreError, ValueError) as exc:
            raise ApiError.single(
                502,
                ErrorCode.STORE_UNAVAILABLE,
                f"the S3 endpoint of the mock cannot be reached ({type(exc).__name__}); check --s3-endpoint.",
            ) from None

    def _client(self, query: dict[str, list[str]]) -> Any:
        """A cached S3 client for the region and keys of one destination (R2 URIs carry their own keys)."""
        region = query.get("region", [_DEFAULT_REGION])[0] or _DEFAULT_REGION
        access_key = query.get("access-key-id", [""])[0] or os.environ.get("AWS_ACCESS_KEY_ID", "")
        secret_key = query.get("secret-access-key", [""])[0] or os.environ.get("AWS_SECRET_ACCESS_KEY", "")
        if not (access_key and secret_key):
            access_key, secret_key = _FALLBACK_KEY
        cache_key = (region, access_key, secret_key)
        with self._lock:
            client = self._clients.get(cache_key)
            if client is None:
                import boto3
                from botocore.config import Config

                # A session per client: boto3's default session is not safe to share across threads.
                client = boto3.session.Session().client(
                    "s3",
                    endpoint_url=self.endpoint,
                    region_name=region,
                    aws_access_key_id=access_key,
                    aws_secret_access_key=secret_key,
                    config=Config(
                        s3={"addressing_style": "path"},
                        retries={"max_attempts": 1},
                        connect_timeout=3,
                        read_timeout=10,
                    ),
                )
                if len(self._clients) >= 64:  # distinct keys in URIs must not grow memory without bound
                    self._clients.clear()
                self._clients[cache_key] = client
            return client


def _refused(message: str) -> ApiError:
    return ApiError.single(400, ErrorCode.BUCKET_NOT_REACHABLE, message, "/destination_conf")
