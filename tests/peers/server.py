"""A second, independent implementation of the PCAP bucket-ownership API: the standard library only.

Written from `spec/pcaps-ownership.openapi.yaml` and the facts file, importing nothing of `pcaps_contract`
(not the mock, not the spec loader), so that the gate is judged against something other than variations of
its own mock. `serve_peer()` serves it on 127.0.0.1 in a daemon thread. Each defect is a named flag checked
inline in the handlers, where a real implementation would get it wrong; each variant is something the real
API may legitimately do, which the gate must accept.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

API_PREFIX = "/client/v4"
PEER_ACCOUNTS = ("023e105f4ecef8ad9ca31a8372d0c353", "9a7806061c88ada191ed06f989cc3dac")
MAX_BODY_BYTES = 64 * 1024
THROTTLE_EVERY = 50  # each 429 costs the gate a 1 s wait: every 15th would make a run 30 s
LIST_CUT = 5
# Records a page shows when the client names no `per_page` (variant `paging`): fewer than a check run's burst.
PAGE_SIZE = 10
MAX_PER_PAGE = 100

# The spec's DestinationConf pattern, read with `fullmatch` so that no final newline slips through.
_DESTINATION_CONF = re.compile(r"(s3|gs|r2)://[^/?#\u0000-\u0020]+(?:[/?#][^\u0000-\u0020]*)?")

# This peer's own error codes (the contract only asks for integers >= 1000).
NO_CREDENTIALS = 4001
BAD_CREDENTIALS = 4003
FOREIGN_ACCOUNT = 4004
NO_SUCH_ROUTE = 4040
NO_SUCH_OWNERSHIP = 4041
NO_SUCH_BUCKET = 4042
METHOD_NOT_ALLOWED = 4050
BAD_IDENTIFIER = 4100
BODY_MISSING = 4101
BODY_NOT_JSON = 4102
BODY_NOT_OBJECT = 4103
FIELD_MISSING = 4104
FIELD_INVALID = 4105
BODY_TOO_LARGE = 4130
MEDIA_TYPE = 4150
SLOW_DOWN = 4290
INTERNAL = 5000

# Defect -> the check of the gate that must name it (`check` prints these names).
DEFECTS: dict[str, str] = {
    "gs_bucket_crashes": "not_a_server_error",
    "list_served_as_text_plain": "content_type_conformance",
    "error_code_is_http_status": "response_schema_conformance",
    "destination_conf_pattern_not_enforced": "negative_data_rejection",
    "query_in_bucket_refused": "positive_data_acceptance",
    "anonymous_requests_served": "ignored_auth",
    "any_method_lists": "unsupported_method",
    "list_success_false": "success_matches_status",
    "add_result_under_data": "success_has_result",
    "failure_result_empty_object": "failure_has_null_result",
    "failure_errors_in_messages": "failure_has_errors",
    "delete_answers_the_record": "no_content_has_empty_body",
    "submitted_is_str_of_datetime": "timestamps_are_rfc3339",
    "submitted_local_time_labelled_utc": "submitted_is_not_in_future",
    "validated_defaults_to_epoch": "validated_is_not_before_submitted",
    "destination_conf_query_dropped": "destination_conf_is_echoed",
    "list_shows_only_validated": "created_ownership_is_listed",
    "list_cache_kept_after_delete": "deleted_ownership_is_not_listed",
    "delete_looks_up_the_challenge_token": "created_ownership_can_be_deleted",
    "delete_remembers_tombstones": "second_delete_is_not_found",
    "validate_answers_an_attempt_id": "validate_returns_same_id",
    "list_merges_accounts": "foreign_ownership_is_not_listed",
    "validate_searches_every_account": "foreign_ownership_is_not_validated",
    "delete_searches_every_account": "foreign_ownership_is_not_deleted",
}

# Defects for checks that cannot fire against this spec over a socket; the check named is the one that
# should, `UNREACHABLE_CAUGHT_BY` the one that does catch the defect today.
UNREACHABLE: dict[str, str] = {
    # Every operation documents `default`, and schemathesis skips status_code_conformance then.
    "add_answers_201": "status_code_conformance",
    # use_after_free judges reads *below* a deleted resource's path; the spec has no GET /ownership/{id}.
    "delete_is_soft": "use_after_free",
}
UNREACHABLE_CAUGHT_BY: dict[str, str] = {
    "add_answers_201": "response_schema_conformance",
    "delete_is_soft": "deleted_ownership_is_not_listed",
}

# Defects for checks being written now (the names they will have); judged once the check exists.
NEW_DEFECTS: dict[str, str] = {
    "id_is_hash_of_bucket": "ownership_id_is_new",
    "list_repeats_the_newest": "listed_ids_are_unique",
    "filename_drawn_per_answer": "record_is_stable",
    "any_challenge_succeeds": "made_up_challenge_never_succeeds",
    "api_key_alone_accepted": "half_credentials_are_refused",
    "list_cut_without_result_info": "listing_is_complete",
    "pages_claim_one_more": "pages_deliver_what_they_claim",
    "page_parameter_ignored": "pages_deliver_what_they_claim",
    "list_cut_counting_only_the_shown": "listing_is_complete",
    "add_answers_success": "added_ownership_is_pending",
    "add_stamps_validated": "added_ownership_is_not_validated",
    "submitted_an_hour_behind": "submitted_is_not_before_add",
    "validated_an_hour_ahead": "validated_is_not_after_answer",
    "validated_from_a_stale_clock": "validated_is_not_before_validation",
    "demo_record_after_first_list": "shown_ownership_was_created",
    "throttled_add_still_stored": "failed_write_changes_nothing",
    "refused_foreign_delete_still_deletes": "failed_write_changes_nothing",
    "email_alone_accepted_on_validate": "half_credentials_are_refused",
    "wrong_key_accepted_on_delete": "half_credentials_are_refused",
    "token_accepted_without_bearer": "half_credentials_are_refused",
    "key_pair_refused": "given_credentials_are_accepted",
    "second_account_lists_the_first": "foreign_ownership_is_not_listed",
}

# Behaviours the contract leaves open that callers may still depend on: no check names them, and `compare` against
# the mock must report each as a divergence at this operation and field.
DIVERGENCES: dict[str, tuple[str, str]] = {
    "lists_newest_first": ("list_buckets", "result"),
}

# Defects only a run with --bucket reaches (it validates with the challenge delivered there): `s3_endpoint`.
BUCKET_DEFECTS: dict[str, str] = {
    "validated_list_still_pending": "record_is_stable",
    "repeat_validation_fails": "validation_sets_status",
}

# Defects no run can call a violation (the real API may take minutes to verify): the check named must report its
# outcome as not judged, with the reason, and never count it passed.
NOT_JUDGED: dict[str, str] = {
    "validation_keeps_pending": "validation_sets_status",
}
# Defects of a server that pages (as variant `paging` does, with its flaw).
PAGING_DEFECTS = frozenset({"pages_claim_one_more", "page_parameter_ignored"})

VARIANTS = (
    "charset",
    "gzip",
    "fractions",
    "throttles",
    "close",
    "paging",
    "clock_behind",
    "validated_absent",
    "settles_later",
)
# Variant `clock_behind`: the server's clock runs this far behind the client's, within the default clock skew.
CLOCK_BEHIND = timedelta(minutes=2)
# Seconds a validation stays `pending` with the variant `settles_later` before it shows `success`.
SETTLE_AFTER = timedelta(seconds=1.5)


class _Refusal(Exception):
    """An answer in the failure envelope, raised from anywhere in a request's handling."""

    def __init__(self, status: int, code: int, message: str, pointer: str | None = None, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.pointer = pointer
        self.headers = headers


@dataclass
class _Record:
    """One bucket of one account, with its secret challenge content."""

    id: str
    destination_conf: str
    filename: str
    challenge: str
    submitted_at: datetime
    submitted: str
    status: str = "pending"
    validated: str = ""
    settles_at: datetime | None = None  # `settles_later`: when a pending verification shows `success`
    verified: str = ""  # the `validated` it then shows

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "destination_conf": self.destination_conf,
            "filename": self.filename,
            "status": self.status,
            "submitted": self.submitted,
            "validated": self.validated,
        }


@dataclass
class _Clock:
    """How this peer writes timestamps: whole seconds in UTC, or (variant `fractions`) 1 to 9 digits and offsets."""

    fractions: bool = False
    _drawn: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def stamp(self, moment: datetime, *, round_up: bool = False) -> str:
        if not self.fractions:
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            self._drawn += 1
            drawn = self._drawn
        digits = drawn % 9 + 1
        offset = timezone(timedelta(hours=-7)) if drawn % 2 else UTC
        # Nanoseconds since the epoch, exactly; cut to the precision (down for `submitted`, never in the future,
        # up for `validated`, never before the `submitted` it follows).
        nanos = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000
        unit = 10 ** (9 - digits)
        nanos = -(-nanos // unit) * unit if round_up else nanos // unit * unit
        seconds, fraction = divmod(nanos, 10**9)
        local = datetime.fromtimestamp(seconds, UTC).astimezone(offset)
        suffix = "+00:00" if offset is UTC else "-07:00"
        return f"{local:%Y-%m-%dT%H:%M:%S}.{fraction:09d}"[: 20 + digits] + suffix


class PeerServer:
    """The state of one served peer: every account's records behind one lock, and what the tests may read."""

    def __init__(
        self,
        token: str,
        email: str,
        api_key: str,
        accounts: tuple[str, ...] | None,
        defects: frozenset[str],
        variant: str | None,
    ) -> None:
        unknown = set(defects) - {*DEFECTS, *NEW_DEFECTS, *UNREACHABLE, *BUCKET_DEFECTS, *NOT_JUDGED, *DIVERGENCES}
        if unknown:
            raise ValueError(f"no such defect: {', '.join(sorted(unknown))}")
        if variant is not None and variant not in VARIANTS:
            raise ValueError(f"no such variant: {variant}; use one of {', '.join(VARIANTS)}")
        self.token = token
        self.email = email
        self.api_key = api_key
        self.allowed = accounts
        self.defects = defects
        self.variant = variant
        self.clock = _Clock(fractions=variant == "fractions")
        self.lock = threading.Lock()
        self.store: dict[str, dict[str, _Record]] = {}
        self.soft_deleted: dict[str, set[str]] = {}
        self.tombstones: dict[str, set[str]] = {}
        self.list_cache: dict[str, list[dict[str, Any]]] = {}
        self.requests = 0
        self.base_url = ""
        # The first add and every third after it answer an id of this prefix (None: never), e.g. one no URL can carry.
        self.odd_id: str | None = None
        self.adds = 0
        self.later_pages = 0  # answers showing a page after the first (variant `paging`)
        self.listed_once: set[str] = set()  # accounts listed at least once (`demo_record_after_first_list`)
        self.demoed: set[str] = set()  # accounts given their demo record
        # Writes a record's challenge file into its bucket (destination_conf, filename, content), when served so.
        self.deliver: Callable[[str, str, str], None] | None = None

    # --- test support (never served over HTTP) ---------------------------------------------------------

    def challenge(self, account_id: str, ownership_id: str) -> str | None:
        """The content of a record's challenge file, as the bucket would hold it."""
        with self.lock:
            record = self.store.get(account_id, {}).get(ownership_id)
            return record.challenge if record is not None else None

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """Every account's records (soft-deleted ones left out), as the API would show them."""
        with self.lock:
            return {
                account: [r.as_json() for r in held.values() if r.id not in self.soft_deleted.get(account, set())]
                for account, held in self.store.items()
            }

    def leftovers(self) -> int:
        """How many records the accounts still hold."""
        return sum(len(held) for held in self.records().values())

    # --- pieces of the handlers ------------------------------------------------------------------------

    def now(self) -> datetime:
        """This server's clock (variant `clock_behind`: a little behind the client's, as real clocks are)."""
        return datetime.now(UTC) - (CLOCK_BEHIND if self.variant == "clock_behind" else timedelta(0))

    def has(self, defect: str) -> bool:
        return defect in self.defects

    def count_request(self) -> int:
        with self.lock:
            self.requests += 1
            return self.requests

    def authenticate(self, headers: Any, operation: str = "") -> None:
        authorization = headers.get("Authorization")
        if authorization is not None:
            if self.has("token_accepted_without_bearer") and _same(authorization.strip(), self.token):
                return  # BUG: the scheme is optional, so the bare token is taken as one
            scheme, _, token = authorization.strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _Refusal(401, NO_CREDENTIALS, "Authorization must read `Bearer <token>`.")
            if not _same(token.strip(), self.token):
                raise _Refusal(403, BAD_CREDENTIALS, "This API token is not valid.")
            return
        email, key = headers.get("X-Auth-Email"), headers.get("X-Auth-Key")
        if email is None and key is None:
            if self.has("anonymous_requests_served"):
                return  # BUG: the credentials are only checked when some are sent
            raise _Refusal(401, NO_CREDENTIALS, "Send `Authorization: Bearer <token>`, or X-Auth-Email and X-Auth-Key.")
        if email is None and key is not None and self.has("api_key_alone_accepted"):
            return  # BUG: a key without its email is taken as enough
        if (
            key is None
            and email is not None
            and operation == "validate"
            and self.has("email_alone_accepted_on_validate")
        ):
            return  # BUG: the validate route only looks the email up
        if self.has("key_pair_refused") and email is not None and key is not None:
            raise _Refusal(403, BAD_CREDENTIALS, "This email and API key do not match.")  # BUG: tokens only
        right_email = email is not None and _same(email.strip(), self.email)
        if operation == "delete" and right_email and key is not None and self.has("wrong_key_accepted_on_delete"):
            return  # BUG: the delete route checks that a key is sent, not which
        if email is None or key is None:
            raise _Refusal(401, NO_CREDENTIALS, "X-Auth-Email and X-Auth-Key are only accepted together.")
        if not (_same(email.strip(), self.email) & _same(key.strip(), self.api_key)):
            raise _Refusal(403, BAD_CREDENTIALS, "This email and API key do not match.")

    def authorize(self, account_id: str) -> None:
        if self.allowed is not None and account_id not in self.allowed:
            raise _Refusal(403, FOREIGN_ACCOUNT, "These credentials cannot act on this account.")

    def parse_body(self, content_type: str | None, raw: bytes, fields: tuple[str, ...]) -> dict[str, str]:
        if not raw.strip():
            raise _Refusal(400, BODY_MISSING, "This operation takes a JSON object as its body.")
        media_type = (content_type or "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            raise _Refusal(415, MEDIA_TYPE, "The body must be sent as application/json.")
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        except (ValueError, RecursionError):
            raise _Refusal(400, BODY_NOT_JSON, "The body is not UTF-8 JSON.") from None
        if not isinstance(body, dict):
            raise _Refusal(400, BODY_NOT_OBJECT, "The body must be a JSON object.")
        for name in fields:
            if name not in body:
                raise _Refusal(400, FIELD_MISSING, f"`{name}` is missing.", f"/{name}")
            if not isinstance(body[name], str):
                raise _Refusal(400, FIELD_INVALID, f"`{name}` must be a string.", f"/{name}")
        conf = body["destination_conf"]
        # BUG (`destination_conf_pattern_not_enforced`): any string taken, the bucket store to complain later
        if not self.has("destination_conf_pattern_not_enforced") and _DESTINATION_CONF.fullmatch(conf) is None:
            raise _Refusal(
                400,
                FIELD_INVALID,
                "`destination_conf` must be s3://, gs:// or r2:// then a bucket name, e.g. s3://pcaps?region=us-east-1.",
                "/destination_conf",
            )
        return {name: body[name] for name in fields}

    def stored_conf(self, conf: str) -> str:
        if self.has("destination_conf_query_dropped"):
            return conf.partition("?")[0]  # BUG: the query (region, R2 keys) taken for transport detail
        return conf

    # --- the four operations ---------------------------------------------------------------------------

    def add(self, account_id: str, body: dict[str, str]) -> tuple[int, Any]:
        conf = body["destination_conf"]
        if self.has("query_in_bucket_refused") and "?" in conf:
            raise _Refusal(400, FIELD_INVALID, "`destination_conf` cannot carry a query.", "/destination_conf")
        if self.has("gs_bucket_crashes") and conf.startswith("gs://"):
            region = parse_qs(conf.partition("?")[2])["region"][0]  # BUG: KeyError, GCS URIs have no region
            conf = f"{conf}?region={region}"
        now = self.now()
        if self.has("submitted_an_hour_behind"):
            now -= timedelta(hours=1)  # BUG: a clock an hour wrong, stored and shown consistently
        if self.has("id_is_hash_of_bucket"):
            ownership_id = hashlib.md5(conf.encode("utf-8", "surrogatepass")).hexdigest()  # BUG: not unique
        else:
            ownership_id = secrets.token_hex(16)
        with self.lock:
            self.adds += 1
            number = self.adds
            if self.odd_id is not None and self.adds % 3 == 1:
                ownership_id = (self.odd_id + ownership_id)[:32]
        if self.has("submitted_is_str_of_datetime"):
            submitted = str(now.replace(microsecond=0, tzinfo=None))  # BUG: `2026-01-01 10:00:00`
        elif self.has("submitted_local_time_labelled_utc"):
            submitted = (now + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M:%SZ")  # BUG: Sydney time, called Z
        else:
            submitted = self.clock.stamp(now)
        record = _Record(
            id=ownership_id,
            destination_conf=self.stored_conf(conf),
            filename=f"ownership-challenge-{secrets.token_hex(16)}.txt",
            challenge=secrets.token_urlsafe(24),
            submitted_at=now,
            submitted=submitted,
        )
        if self.has("validated_defaults_to_epoch"):
            record.validated = "1970-01-01T00:00:00Z"  # BUG: an unset time written as the epoch
        if self.has("add_answers_success"):
            record.status = "success"  # BUG: the bucket taken as verified because it could be written to
        if self.has("add_stamps_validated"):
            record.validated = submitted  # BUG: the add's own time written as the validation's
        if self.deliver is not None:
            self.deliver(conf, record.filename, record.challenge)
        with self.lock:
            self.store.setdefault(account_id, {})[ownership_id] = record
            self.list_cache.pop(account_id, None)
        if self.has("throttled_add_still_stored") and number % 4 == 2:
            # BUG: the throttle is checked after the write, so the client's retry stores the bucket twice
            raise _Refusal(429, SLOW_DOWN, "Too many requests; retry in a second.", **{"Retry-After": "1"})
        shown = self.show(record)
        if self.has("add_result_under_data"):
            return 200, {"success": True, "errors": [], "messages": [], "data": shown}  # BUG: `data`, not `result`
        return (201 if self.has("add_answers_201") else 200), _success(shown)

    def _store_demo(self, account_id: str) -> None:
        now = datetime.now(UTC)
        demo = _Record(
            id=secrets.token_hex(16),
            destination_conf="s3://demo-pcaps?region=us-east-1",
            filename=f"ownership-challenge-{secrets.token_hex(16)}.txt",
            challenge=secrets.token_urlsafe(24),
            submitted_at=now,
            submitted=self.clock.stamp(now),
        )
        self.store.setdefault(account_id, {})[demo.id] = demo

    def pages(self) -> bool:
        return self.variant == "paging" or bool(self.defects & PAGING_DEFECTS)

    def list(self, account_id: str, query: dict[str, list[str]] | None = None) -> tuple[int, Any]:
        with self.lock:
            if self.has("demo_record_after_first_list"):
                if account_id in self.listed_once and account_id not in self.demoed:
                    self.demoed.add(account_id)
                    self._store_demo(account_id)  # BUG: an onboarding sample written into the account
                self.listed_once.add(account_id)
            if self.has("list_cache_kept_after_delete") and account_id in self.list_cache:
                shown = self.list_cache[account_id]  # BUG: the cache is refreshed on add, never on delete
            else:
                accounts = list(self.store) if self.has("list_merges_accounts") else [account_id]
                if self.has("second_account_lists_the_first") and account_id == PEER_ACCOUNTS[1]:
                    accounts = [PEER_ACCOUNTS[0], account_id]  # BUG: the second account inherits the first's
                # Soft-deleted records stay in `store` (only with `delete_is_soft`), and the listing forgets them.
                held = [record for account in accounts for record in self.store.get(account, {}).values()]
                if self.has("lists_newest_first"):
                    held = held[::-1]  # newest first: the contract names no order, a caller may assume one
                if self.has("list_shows_only_validated"):
                    held = [record for record in held if record.status == "success"]  # BUG: a dashboard filter
                shown = [self.show(record) for record in held]
                if self.has("validated_list_still_pending"):
                    for listed in shown:  # BUG: the list reads a replica the verification never reached
                        listed["status"] = "pending" if listed["status"] == "success" else listed["status"]
                self.list_cache[account_id] = shown
        if self.has("list_repeats_the_newest") and shown:
            shown = shown + shown[-1:]  # BUG: an off-by-one in the page join
        count = len(shown)
        envelope: dict[str, Any] = _success(shown)
        if self.pages():
            envelope["result"], envelope["result_info"] = self.page_of(shown, query or {})
        elif self.has("list_cut_without_result_info"):
            envelope["result"] = shown[:LIST_CUT]  # BUG: one page of 5, and nothing says so
        elif self.has("list_cut_counting_only_the_shown"):
            envelope["result"] = shown[:LIST_CUT]  # BUG: one page of 5, counted as if it were all of them
            cut = len(envelope["result"])
            envelope["result_info"] = {"page": 1, "per_page": 1000, "count": cut, "total_count": cut, "total_pages": 1}
        else:
            envelope["result_info"] = {
                "page": 1,
                "per_page": 1000,
                "count": count,
                "total_count": count,
                "total_pages": 1,
            }
        if self.has("list_success_false"):
            envelope["success"] = False  # BUG: `success` taken to mean "found something validated"
        return 200, envelope

    def page_of(
        self, shown: Sequence[dict[str, Any]], query: Mapping[str, Sequence[str]]
    ) -> tuple[Sequence[dict[str, Any]], dict[str, Any]]:
        """One page of a listing (`?page=N&per_page=M`, both optional) and its truthful `result_info`."""
        page, per_page = _positive(query, "page", 1, None), _positive(query, "per_page", PAGE_SIZE, MAX_PER_PAGE)
        if self.has("page_parameter_ignored"):
            page = 1  # BUG: the handler reads `per_page` and forgets `page`
        total = len(shown)
        pages = max(1, -(-total // per_page))
        if self.has("pages_claim_one_more") and total > 0:
            pages += 1  # BUG: a page counted for the record that ends the last one
        result = shown[(page - 1) * per_page : page * per_page]
        if page > 1:
            with self.lock:
                self.later_pages += 1
        info = {"page": page, "per_page": per_page, "count": len(result), "total_count": total, "total_pages": pages}
        return result, info

    def delete(self, account_id: str, ownership_id: str) -> tuple[int, Any]:
        with self.lock:
            accounts = list(self.store) if self.has("delete_searches_every_account") else [account_id]
            for account in accounts:
                held = self.store.get(account, {})
                if self.has("delete_looks_up_the_challenge_token"):
                    # BUG: the id compared with the challenge file's token
                    found = next(
                        (r for r in held.values() if r.filename == f"ownership-challenge-{ownership_id}.txt"), None
                    )
                else:
                    found = held.get(ownership_id)
                if found is not None and found.id in self.soft_deleted.get(account, set()):
                    found = None
                if found is None:
                    continue
                if self.has("delete_is_soft"):
                    self.soft_deleted.setdefault(account, set()).add(found.id)  # BUG: flagged, still listed
                    self.list_cache.pop(account, None)
                    return 204, None
                del held[found.id]
                self.tombstones.setdefault(account, set()).add(found.id)
                if not self.has("list_cache_kept_after_delete"):
                    self.list_cache.pop(account, None)
                return 204, self.show(found) if self.has("delete_answers_the_record") else None
            if self.has("delete_remembers_tombstones") and ownership_id in self.tombstones.get(account_id, set()):
                return 204, None  # BUG: "already deleted" taken as success
            if self.has("refused_foreign_delete_still_deletes"):
                for held in self.store.values():
                    held.pop(ownership_id, None)  # BUG: the id looked up everywhere, refused only afterwards
        raise _Refusal(404, NO_SUCH_OWNERSHIP, "This account has no ownership with this id.")

    def validate(self, account_id: str, body: dict[str, str]) -> tuple[int, Any]:
        conf = self.stored_conf(body["destination_conf"])
        answer = body["ownership_challenge"]
        with self.lock:
            accounts = list(self.store) if self.has("validate_searches_every_account") else [account_id]
            candidates = [
                record
                for account in accounts
                for record in self.store.get(account, {}).values()
                if record.destination_conf == conf and record.id not in self.soft_deleted.get(account, set())
            ]
            if not candidates:
                raise _Refusal(
                    404, NO_SUCH_BUCKET, "No bucket with this destination_conf was added here.", "/destination_conf"
                )
            sent = answer.encode("utf-8", "surrogatepass")
            right = next((r for r in candidates if hmac.compare_digest(r.challenge.encode(), sent)), None)
            if right is None and self.has("any_challenge_succeeds"):
                right = candidates[-1]  # BUG: the answer is never compared
            if right is not None:
                now = self.now()
                validated_at = max(now, right.submitted_at)
                if self.has("validated_an_hour_ahead"):
                    validated_at += timedelta(hours=1)  # BUG: the verifier's clock is an hour ahead
                if self.has("validated_from_a_stale_clock"):
                    validated_at = now - timedelta(hours=1)  # BUG: the verifier's clock stopped an hour ago
                stamp = self.clock.stamp(validated_at, round_up=True)
                if self.has("repeat_validation_fails") and right.status == "success":
                    right.status, right.validated = "failed", ""  # BUG: a verified bucket's second check is a replay
                elif self.variant == "settles_later" and right.status != "success":
                    right.status, right.validated = "pending", ""  # verified in the background, shown later
                    right.settles_at, right.verified = datetime.now(UTC) + SETTLE_AFTER, stamp
                else:
                    right.status = "pending" if self.has("validation_keeps_pending") else "success"
                    right.validated = stamp
                record = right
            else:
                record = candidates[-1]
                record.status = "failed"
                record.validated = ""
                record.settles_at = None  # a wrong challenge ends any verification under way
            self.list_cache.pop(account_id, None)
            shown = self.show(record)
        if self.has("validate_answers_an_attempt_id"):
            shown["id"] = secrets.token_hex(16)  # BUG: the id of the validation attempt, not of the bucket
        return 200, _success(shown)

    def show(self, record: _Record) -> dict[str, Any]:
        if record.settles_at is not None and datetime.now(UTC) >= record.settles_at:
            record.status, record.validated, record.settles_at = "success", record.verified, None
        shown = record.as_json()
        if self.variant == "validated_absent" and not record.validated:
            del shown["validated"]  # the field is optional: a record not validated yet may leave it out
        if self.has("filename_drawn_per_answer"):
            shown["filename"] = f"ownership-challenge-{secrets.token_hex(16)}.txt"  # BUG: drawn on each answer
        return shown


def _positive(query: Mapping[str, Sequence[str]], name: str, default: int, most: int | None) -> int:
    """A query parameter that must be a whole number from 1 (to `most`), or its default when not sent."""
    values = query.get(name)
    if not values:
        return default
    value = values[-1]
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= (most or 10**9):
        top = f" to {most}" if most is not None else ""
        raise _Refusal(400, FIELD_INVALID, f"`{name}` must be a whole number from 1{top}.")
    return int(value)


def _same(sent: str, accepted: str) -> bool:
    return bool(accepted) and hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), accepted.encode("utf-8"))


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _success(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def _failure(refusal: _Refusal, empty_result: bool, errors_in_messages: bool, code_is_status: bool) -> dict[str, Any]:
    error: dict[str, Any] = {"code": refusal.status if code_is_status else refusal.code, "message": refusal.message}
    if refusal.pointer is not None:
        error["source"] = {"pointer": refusal.pointer}
    errors, messages = ([], [error]) if errors_in_messages else ([error], [])
    return {"success": False, "errors": errors, "messages": messages, "result": {} if empty_result else None}


# (method -> operation) for each route; a concrete segment (`validate`) wins over the `{ownership_id}` template.
_COLLECTION = {"GET": "list", "POST": "add"}
_VALIDATE = {"POST": "validate"}
_ITEM = {"DELETE": "delete"}


def _route(path: str) -> tuple[dict[str, str], dict[str, str]]:
    """(operations by method, path parameters) of a path under the prefix; 404 when it is no route of the API."""
    raw = path.partition("?")[0].partition("#")[0]
    if not raw.startswith(API_PREFIX + "/"):
        raise _Refusal(404, NO_SUCH_ROUTE, f"Nothing here; the API lives under {API_PREFIX}.")
    segments = [unquote(segment) for segment in raw[len(API_PREFIX) + 1 :].split("/")]
    if len(segments) in (4, 5) and segments[0] == "accounts" and segments[2:4] == ["pcaps", "ownership"]:
        params = {"account_id": segments[1]}
        if len(segments) == 4:
            return _COLLECTION, params
        if segments[4] == "validate":
            return _VALIDATE, params
        return _ITEM, {**params, "ownership_id": segments[4]}
    raise _Refusal(404, NO_SUCH_ROUTE, "No such route.")


class _Handler(BaseHTTPRequestHandler):
    """One connection; every method, declared or not, goes through `_serve`."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle and delayed ACKs cost 40 ms an answer.
    disable_nagle_algorithm = True
    server: _HttpServer

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        peer = self.server.peer
        try:
            status, payload, headers = self._answer(peer)
        except _Refusal as refusal:
            status, headers = refusal.status, refusal.headers
            payload = _failure(
                refusal,
                peer.has("failure_result_empty_object"),
                peer.has("failure_errors_in_messages"),
                peer.has("error_code_is_http_status"),
            )
        except Exception as exc:  # a bug of the handler: answered like any server would
            status, headers = 500, {}
            payload = _failure(_Refusal(500, INTERNAL, f"internal error ({type(exc).__name__})"), False, False, False)
        self._send(peer, status, payload, headers)

    def _answer(self, peer: PeerServer) -> tuple[int, Any, dict[str, str]]:
        number = peer.count_request()
        raw = self._read_body()
        if peer.variant == "throttles" and number % THROTTLE_EVERY == 0:
            raise _Refusal(429, SLOW_DOWN, "Too many requests; retry in a second.", **{"Retry-After": "1"})
        operations, params = _route(self.path)
        operation = operations.get(self.command)
        if operation is None:
            if not peer.has("any_method_lists"):
                allow = ", ".join(sorted(operations))
                raise _Refusal(405, METHOD_NOT_ALLOWED, f"Use {allow} here.", Allow=allow)
            operation = "list"  # BUG: whatever is not POST or DELETE is taken for a read
        peer.authenticate(self.headers, operation)
        for name, value in params.items():
            if not 1 <= len(value) <= 32:
                raise _Refusal(400, BAD_IDENTIFIER, f"`{name}` must be 1 to 32 characters long.")
        account_id = params["account_id"]
        peer.authorize(account_id)
        content_type = self.headers.get("Content-Type")
        if operation == "add":
            status, payload = peer.add(account_id, peer.parse_body(content_type, raw, ("destination_conf",)))
        elif operation == "validate":
            fields = ("destination_conf", "ownership_challenge")
            status, payload = peer.validate(account_id, peer.parse_body(content_type, raw, fields))
        elif operation == "delete":
            status, payload = peer.delete(account_id, params["ownership_id"])
        else:
            status, payload = peer.list(account_id, parse_qs(urlsplit(self.path).query))
        return status, payload, {}

    def _read_body(self) -> bytes:
        """The whole request body (read even when unused, so that the connection stays in step)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    length = int(line.split(b";")[0].strip() or b"0", 16)
                except ValueError:
                    self.close_connection = True
                    raise _Refusal(400, BODY_NOT_JSON, "The chunked body is malformed.") from None
                if length == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                size += length
                if size > MAX_BODY_BYTES:
                    self.close_connection = True
                    raise _Refusal(413, BODY_TOO_LARGE, "The body is over 64 KiB.")
                chunks.append(self.rfile.read(length))
                self.rfile.readline(1024)
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not declared.isascii() or not declared.isdigit():
            self.close_connection = True
            raise _Refusal(400, BODY_NOT_JSON, "Content-Length is not a number.")
        if int(declared) > MAX_BODY_BYTES:
            self.close_connection = True
            raise _Refusal(413, BODY_TOO_LARGE, "The body is over 64 KiB.", Connection="close")
        return self.rfile.read(int(declared)) if int(declared) else b""

    def _send(self, peer: PeerServer, status: int, payload: Any, headers: dict[str, str]) -> None:
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        close = peer.variant == "close" or headers.get("Connection") == "close"
        if close and "Connection" not in headers:
            self.send_header("Connection", "close")
        if close:
            self.close_connection = True
        if status == 204:
            if body:  # BUG path (`delete_answers_the_record`): the record sent along, chunked
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            else:
                self.end_headers()
            return
        content_type = "application/json; charset=utf-8" if peer.variant == "charset" else "application/json"
        if peer.has("list_served_as_text_plain") and self.command == "GET" and status == 200:
            content_type = "text/plain"  # BUG: the list written by a text template
        self.send_header("Content-Type", content_type)
        if peer.variant == "gzip" and _accepts_gzip(self.headers.get("Accept-Encoding")):
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _accepts_gzip(header: str | None) -> bool:
    for part in (header or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            quality = params.strip().removeprefix("q=").strip()
            return quality == "" or not re.fullmatch(r"0(\.0*)?", quality)
    return False


def _s3_delivery(endpoint: str) -> Callable[[str, str, str], None]:
    """Writes a challenge file into the s3:// bucket a destination_conf names, at its path, through the S3 API."""
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")

    def deliver(conf: str, filename: str, content: str) -> None:
        if not conf.startswith("s3://"):
            return
        where = re.split(r"[?#]", conf.removeprefix("s3://"), maxsplit=1)[0]
        bucket, _, path = where.partition("/")
        key = f"{path.strip('/')}/{filename}" if path.strip("/") else filename
        try:
            client.put_object(Bucket=bucket, Key=key, Body=content.encode())
        except Exception:  # a bucket nobody can write to gets no file: the validation then fails, as it would
            return

    return deliver


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    peer: PeerServer


@contextmanager
def serve_peer(
    *,
    token: str = "peer-token",
    accounts: tuple[str, ...] | list[str] | None = None,
    defects: frozenset[str] | set[str] = frozenset(),
    variant: str | None = None,
    odd_id: str | None = None,
    email: str = "peer@example.com",
    api_key: str = "peer-api-key",
    s3_endpoint: str | None = None,
) -> Iterator[tuple[str, PeerServer]]:
    """Serve the peer on 127.0.0.1 (a free port, a daemon thread) until the block ends.

    Args:
        token: the bearer token accepted (`email` with `api_key` is the other accepted pair).
        accounts: the accounts the credentials may act on; any account when None.
        defects: names from DEFECTS, UNREACHABLE or NEW_DEFECTS to seed.
        variant: one of VARIANTS, a legitimate behaviour of the real API.
        odd_id: the prefix of the id the first add and every third after it answer (32 characters in all).
        s3_endpoint: an S3 API endpoint the peer writes each s3:// bucket's challenge file to (boto3; the keys of
            the standard AWS variables), as the real API writes it into the bucket; None: no file is written.

    Yields:
        (the base URL ending in /client/v4, the PeerServer with every account's records)
    """
    peer = PeerServer(
        token, email, api_key, tuple(accounts) if accounts is not None else None, frozenset(defects), variant
    )
    peer.odd_id = odd_id
    peer.deliver = _s3_delivery(s3_endpoint) if s3_endpoint is not None else None
    http = _HttpServer(("127.0.0.1", 0), _Handler)
    http.peer = peer
    peer.base_url = f"http://127.0.0.1:{http.server_address[1]}{API_PREFIX}"
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield peer.base_url, peer
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=5)
