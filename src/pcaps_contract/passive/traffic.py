"""Recorded traffic: one exchange as seen on the wire, read from HAR 1.2 or the proxy's NDJSON, written as NDJSON.

Plain data and the standard library only: the passive judge, the proxy and `verify` share it. Secrets are whatever
credentials the clients sent (`Authorization`, `X-Auth-Email`, `X-Auth-Key`); `Secrets` collects them so that
everything written names them as `$CLOUDFLARE_...` variables instead.
"""

from __future__ import annotations

import base64
import binascii
import math
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from pcaps_contract import _json as bounded_json
from pcaps_contract._credentials import (
    API_KEY_ENV,
    EMAIL_ENV,
    TOKEN_ENV,
    Credentials,
    Redactor,
    r2_secrets,
    redact_bytes,
)
from pcaps_contract._errors import UsageError
from pcaps_contract._files import open_named
from pcaps_contract._limits import DEFAULT_MAX_RESPONSE_BYTES, MAX_EXCHANGE_SECONDS, MAX_RECORDED_EXCHANGE_BYTES
from pcaps_contract._text import clip, json_text

Headers = tuple[tuple[str, str], ...]
NDJSON_KIND = "pcaps-contract-exchange"
# The times a recorded exchange may carry: what a clock of a real recording can show, and `_iso` can write back.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Recorded:
    """One request and its answer as they went over the wire; bodies without any content encoding.

    `started` and `ended` are seconds since the epoch; `ended_known` is false where the recording did not say how
    long the exchange took (a HAR entry without `time`, or -1), and `ended` is then `started`. `truncated` says
    the answer's body was larger than the cap (only its start is kept): such an answer is judged by its status alone.
    """

    method: str
    url: str
    request_headers: Headers
    request_body: bytes
    status: int
    response_headers: Headers
    response_body: bytes
    started: float
    ended: float
    truncated: bool = False
    ended_known: bool = True

    def request_header(self, name: str) -> str | None:
        return _header(self.request_headers, name)

    def response_header(self, name: str) -> str | None:
        return _header(self.response_headers, name)

    def as_json(self) -> dict[str, Any]:
        """The exchange as one NDJSON record (`read_ndjson` reads it back)."""
        return {
            "kind": NDJSON_KIND,
            "started": _iso(self.started),
            "ended": _iso(self.ended),
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": [list(pair) for pair in self.request_headers],
                **_body_json(self.request_body),
            },
            "response": {
                "status": self.status,
                "headers": [list(pair) for pair in self.response_headers],
                **_body_json(self.response_body),
                "truncated": self.truncated,
            },
        }


def _header(headers: Headers, name: str) -> str | None:
    lowered = name.lower()
    return next((value for key, value in headers if key.lower() == lowered), None)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _body_json(body: bytes) -> dict[str, str]:
    if not body:
        return {"body": ""}
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode("ascii")}


def decoded(raw: bytes, encoding: str | None, cap: int = DEFAULT_MAX_RESPONSE_BYTES) -> tuple[bytes, bool]:
    """A body without its `Content-Encoding` (gzip, deflate or none), at most `cap` bytes; and whether it was cut.

    Inflates at most `cap + 1` bytes, so a gzip bomb costs no more than the cap. A body that does not inflate, or
    an encoding other than these, comes back as it is, marked cut: it is not judged.
    """
    name = (encoding or "identity").strip().lower()
    if name in ("", "identity"):
        return raw[:cap], len(raw) > cap
    if name not in ("gzip", "x-gzip", "deflate"):
        return raw[:cap], True
    for wbits in (zlib.MAX_WBITS | 16,) if name != "deflate" else (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        try:
            inflater = zlib.decompressobj(wbits)
            body = inflater.decompress(raw, cap + 1)
        except zlib.error:
            continue
        return body[:cap], len(body) > cap
    return raw[:cap], True


# --- the secrets the clients sent ------------------------------------------------------------------------------


@dataclass
class Secrets:
    """Every credential value seen in the traffic, each with the variable it is shown as: the headers' tokens,
    emails and keys, and the R2 keys of an `r2://` destination_conf; one `Redactor` of them all, grown as they come."""

    token: str | None = None
    email: str | None = None
    api_key: str | None = None
    redactor: Redactor = field(default_factory=Redactor)

    def learn(self, headers: Headers, *bodies: bytes) -> bool:
        """Take the credentials of a request's headers (and the R2 keys of its bodies) in; whether the request
        carried any credential header."""
        carried = False
        for name, value in headers:
            lowered = name.lower()
            if lowered == "authorization":
                secret = _bearer(value) or value
                self.redactor.add(secret, f"${TOKEN_ENV}")
                self.token = self.token or secret
            elif lowered == "x-auth-email":
                self.redactor.add(value, f"${EMAIL_ENV}")
                self.email = self.email or value
            elif lowered == "x-auth-key":
                self.redactor.add(value, f"${API_KEY_ENV}")
                self.api_key = self.api_key or value
            else:
                continue
            carried = carried or bool(value)
        for body in bodies:
            for secret, variable in _r2_keys(body):
                self.redactor.add(secret, variable)
        return carried

    def credentials(self, headers: Headers | None = None) -> Credentials:
        """Credentials that redact every secret seen, in the style of `headers` (else of the first request seen).

        Their own values are the secrets, so `curl_headers` names the variables of the right style.
        """
        token, email, key = self.token, self.email, self.api_key
        if headers is not None:
            token = _bearer(_header(headers, "authorization"))
            email, key = _header(headers, "x-auth-email"), _header(headers, "x-auth-key")
        if token or not (email and key):
            return Credentials(token=token or f"${TOKEN_ENV}", shared=self.redactor)
        return Credentials(email=email, api_key=key, shared=self.redactor)

    def redact(self, text: str) -> str:
        return self.redactor(text)

    def redacted(self, exchange: Recorded) -> Recorded:
        """The exchange with every secret seen so far out of its URL, headers and bodies (text and bytes alike)."""
        redact = self.redactor
        if not redact:
            return exchange
        return replace(
            exchange,
            url=redact(exchange.url),
            request_headers=tuple((redact(name), redact(value)) for name, value in exchange.request_headers),
            request_body=redact_bytes(exchange.request_body, redact),
            response_headers=tuple((redact(name), redact(value)) for name, value in exchange.response_headers),
            response_body=redact_bytes(exchange.response_body, redact),
        )


# A body is searched for `r2://` keys only when it names the scheme at all, and then only as JSON a few levels deep.
_R2_MARK = b"r2://"


def _r2_keys(body: bytes) -> list[tuple[str, str]]:
    """The R2 keys of every `r2://` URI among a JSON body's strings (a destination_conf), with their variables."""
    if _R2_MARK not in body:
        return []
    document = bounded_json.parsed_or_none(body)
    found: list[tuple[str, str]] = []
    pending, budget = [document], 10_000
    while pending and budget > 0:  # iterative and bounded: a deep or wide body costs no more than the budget
        budget -= 1
        value = pending.pop()
        if isinstance(value, str):
            found += r2_secrets(value)
        elif isinstance(value, dict):
            pending += value.values()
        elif isinstance(value, list):
            pending += value
    return found


def _bearer(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, secret = value.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else value


# --- reading recorded traffic ----------------------------------------------------------------------------------


def read_traffic(path: Path, cap: int = DEFAULT_MAX_RESPONSE_BYTES) -> Iterator[Recorded]:
    """The exchanges of a HAR 1.2 file or of the proxy's NDJSON recording, in the order they were recorded.

    Streamed: one exchange is read at a time, each under the bounds of `_bounds` (its size, JSON nesting, times
    and URL), so a recording of any length costs its largest exchange. Raises UsageError with one sentence when
    the file cannot be read, is neither, or an exchange breaks a bound (naming it); the file is opened here, its
    exchanges read as they are asked for.
    """
    handle = open_named(
        path,
        UsageError,
        "give a HAR file or a recording of `pcaps-contract proxy`",
        "is a folder; give the HAR file or the exchanges.ndjson inside it",
    )
    try:
        head = handle.read(4096).lstrip()
        handle.seek(0)
    except OSError as exc:
        handle.close()
        raise UsageError(f"{path} cannot be read ({exc.strerror}); check its permissions.") from None
    if head.startswith(b"{") and b'"log"' in head:
        return _closing(handle, read_har(handle, path, cap))
    if head.startswith(b"{"):
        return _closing(handle, read_ndjson(handle, path, cap))
    handle.close()
    raise UsageError(f"{path} is neither a HAR file nor NDJSON; give a HAR 1.2 file or a `proxy` recording.")


def _closing(handle: IO[bytes], exchanges: Iterator[Recorded]) -> Iterator[Recorded]:
    with handle:
        yield from exchanges


def _record_bytes(cap: int) -> int:
    """The most text one recorded exchange may take: the bound, or room for a whole answer under a raised cap."""
    return max(MAX_RECORDED_EXCHANGE_BYTES, 8 * cap)


def read_har(handle: IO[bytes], path: Path, cap: int = DEFAULT_MAX_RESPONSE_BYTES) -> Iterator[Recorded]:
    """The entries of a HAR 1.2 file (browsers, mitmproxy, `schemathesis run --report har`), one at a time."""
    entries = bounded_json.array_items(handle, ("log", "entries"), _record_bytes(cap))
    number = 0
    while True:
        number += 1
        try:
            text = next(entries, None)
        except bounded_json.JsonRefused as exc:
            raise UsageError(f"{path}: entry {number} is beyond a bound ({exc}); remove it from the HAR.") from None
        except bounded_json.NoSuchArray:
            raise UsageError(f"{path} has no `log.entries` list; give a HAR 1.2 file.") from None
        except ValueError as exc:
            raise UsageError(f"{path} is not valid JSON ({exc}); give a whole HAR 1.2 file.") from None
        except OSError as exc:
            raise UsageError(f"{path} cannot be read ({exc.strerror}); check the file.") from None
        if text is None:
            return
        where = f"{path}: entry {number}"
        yield _read(partial(_har_entry, text, cap), where, "a HAR 1.2 entry (request, response, times)")


def _read(record: Callable[[], Recorded], where: str, kind: str) -> Recorded:
    """One recorded exchange read and checked, or the sentence naming the entry or line that is not one."""
    try:
        return _checked(record(), where)
    except BadRecord as exc:
        raise UsageError(f"{where} {exc}; correct or remove it.") from None
    except (KeyError, TypeError, ValueError, AttributeError, binascii.Error, OverflowError):
        raise UsageError(f"{where} is not {kind}.") from None


def _har_entry(raw: bytes, cap: int) -> Recorded:
    entry = bounded_json.loads(raw, max_depth=0)  # nesting counted by the stream already
    request, response = entry["request"], entry["response"]
    started = _moment(entry["startedDateTime"])
    took = _duration(entry.get("time")) / 1000
    post = request.get("postData") or {}
    content = response.get("content") or {}
    text = content.get("text") or ""
    raw = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode("utf-8", "surrogatepass")
    # HAR holds the decoded content; the encoding header stays for the record, but the body needs no inflating.
    body, truncated = raw[:cap], len(raw) > cap
    return Recorded(
        method=str(request["method"]).upper(),
        url=str(request["url"]),
        request_headers=_har_headers(request.get("headers")),
        request_body=str(post.get("text") or "").encode("utf-8", "surrogatepass"),
        status=_status(response["status"]),
        response_headers=_har_headers(response.get("headers")),
        response_body=body,
        started=started,
        ended=started + took,
        truncated=truncated,
        ended_known=isinstance(entry.get("time"), int | float) and entry["time"] >= 0,
    )


def _har_headers(headers: Any) -> Headers:
    return tuple((str(item["name"]), str(item["value"])) for item in headers or ())


def read_ndjson(handle: IO[bytes], path: Path, cap: int = DEFAULT_MAX_RESPONSE_BYTES) -> Iterator[Recorded]:
    """The exchanges of the proxy's recording (`exchanges.ndjson`), a line at a time; lines of other kinds skipped."""
    most = _record_bytes(cap)
    number = 0
    while True:
        number += 1
        try:
            line = handle.readline(most + 1)
        except OSError as exc:
            raise UsageError(f"{path} cannot be read ({exc.strerror}); check the file.") from None
        if not line:
            return
        where = f"{path}: line {number}"
        if len(line) > most:
            raise UsageError(f"{where} is longer than {most} bytes; an exchange of the proxy's recording never is.")
        if not line.strip():
            continue
        try:
            record = bounded_json.loads(line)
        except bounded_json.JsonRefused as exc:
            raise UsageError(f"{where} is beyond a bound ({exc}); remove it from the recording.") from None
        except ValueError:
            raise UsageError(f"{where} is not JSON; give the proxy's exchanges.ndjson.") from None
        if not isinstance(record, dict) or record.get("kind") != NDJSON_KIND:
            continue
        yield _read(partial(_ndjson_record, record, cap), where, "an exchange of the proxy's recording")


def _ndjson_record(record: dict[str, Any], cap: int) -> Recorded:
    request, response = record["request"], record["response"]
    body = _ndjson_body(response)
    return Recorded(
        method=str(request["method"]).upper(),
        url=str(request["url"]),
        request_headers=tuple((str(name), str(value)) for name, value in request["headers"]),
        request_body=_ndjson_body(request),
        status=_status(response["status"]),
        response_headers=tuple((str(name), str(value)) for name, value in response["headers"]),
        response_body=body[:cap],
        started=_moment(record["started"]),
        ended=_moment(record["ended"]),
        truncated=bool(response.get("truncated")) or len(body) > cap,
    )


def _ndjson_body(part: dict[str, Any]) -> bytes:
    if "body_base64" in part:
        return base64.b64decode(part["body_base64"], validate=True)
    return str(part.get("body") or "").encode("utf-8", "surrogatepass")


# --- what a recorded exchange may hold ---------------------------------------------------------------------------


class BadRecord(ValueError):
    """A recorded exchange whose times or URL cannot be real; the message finishes "{where} ..."."""


def _moment(value: Any) -> float:
    """Seconds since the epoch of an ISO 8601 time within `EARLIEST`..`LATEST`."""
    if not isinstance(value, str):
        raise BadRecord(f"has a time that is not an ISO 8601 text ({clip(repr(value), 40)})")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRecord(f"has a time that is not an ISO 8601 date and time ({clip(repr(value), 40)})") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not EARLIEST <= moment <= LATEST:
        raise BadRecord(f"has a time outside {EARLIEST.year}..{LATEST.year - 1} ({clip(value, 40)})")
    return moment.timestamp()


def _duration(value: Any) -> float:
    """A HAR entry's `time` in milliseconds: a finite number up to a day; a negative one (-1: unknown) is 0."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRecord(f"has a `time` that is not a number ({clip(repr(value), 40)})")
    if not math.isfinite(value) or value > MAX_EXCHANGE_SECONDS * 1000:
        raise BadRecord(f"has a `time` of {clip(repr(value), 40)} ms, more than a recorded exchange can take")
    return max(float(value), 0.0)


def _status(value: Any) -> int:
    status = int(value)
    if not 0 <= status <= 999:
        raise BadRecord(f"has the status {clip(repr(value), 40)}, not an HTTP status")
    return status


def _checked(recorded: Recorded, where: str) -> Recorded:
    """The exchange, once its URL parses and its times are in order (an end before the start cannot be)."""
    try:
        parts = urlsplit(recorded.url)
        parts.port  # noqa: B018 - reading it is the check: a port that is not a number raises ValueError
    except ValueError:
        raise BadRecord(f"has a URL that cannot be read ({clip(repr(recorded.url), 80)})") from None
    if not (parts.scheme and parts.netloc) and recorded.url.startswith(("http:", "https:")):
        raise BadRecord(f"has a URL without a host ({clip(repr(recorded.url), 80)})")
    if recorded.ended - recorded.started > MAX_EXCHANGE_SECONDS:
        raise BadRecord("ends more than a day after it starts")
    return recorded


class Recording:
    """Appends exchanges to an NDJSON file as they happen, each line redacted, flushed at once."""

    def __init__(self, path: Path, secrets: Secrets) -> None:
        self.path = path
        self.secrets = secrets
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = path.open("w", encoding="utf-8")

    def write(self, exchange: Recorded) -> None:
        if self._file is None:
            return
        # The exchange's own values are redacted, then JSON writes them: no secret, and nothing but JSON escaping.
        self._file.write(json_text(self.secrets.redacted(exchange).as_json()) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def har_document(exchanges: Sequence[Recorded]) -> dict[str, Any]:
    """A HAR 1.2 document of the exchanges (for benchmarks and tests that need a HAR without a browser)."""

    def headers(pairs: Headers) -> list[dict[str, str]]:
        return [{"name": name, "value": value} for name, value in pairs]

    entries = []
    for exchange in exchanges:
        request: dict[str, Any] = {
            "method": exchange.method,
            "url": exchange.url,
            "httpVersion": "HTTP/1.1",
            "headers": headers(exchange.request_headers),
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": len(exchange.request_body),
        }
        if exchange.request_body:
            request["postData"] = {
                "mimeType": exchange.request_header("content-type") or "",
                "text": exchange.request_body.decode("utf-8", "replace"),
            }
        entries.append(
            {
                "startedDateTime": _iso(exchange.started),
                "time": round((exchange.ended - exchange.started) * 1000, 3),
                "request": request,
                "response": {
                    "status": exchange.status,
                    "statusText": "",
                    "httpVersion": "HTTP/1.1",
                    "headers": headers(exchange.response_headers),
                    "cookies": [],
                    "content": {
                        "size": len(exchange.response_body),
                        "mimeType": exchange.response_header("content-type") or "",
                        "text": exchange.response_body.decode("utf-8", "replace"),
                    },
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": len(exchange.response_body),
                },
                "cache": {},
                "timings": {"send": 0, "wait": 0, "receive": 0},
            }
        )
    return {"log": {"version": "1.2", "creator": {"name": "pcaps-contract", "version": "1"}, "entries": entries}}
