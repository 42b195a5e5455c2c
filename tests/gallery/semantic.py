"""Broken implementations for the checks of what an implementation does over a run (the correct mock, one rule broken).

`pcaps-contract check --app tests.gallery.semantic:NAME` must fail each, naming the check in `BREAKS[NAME]`.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from tests.gallery.broken import Broken, Exchange, _on_records


def _repeat_the_newest(exchange: Exchange) -> None:
    body = exchange.json
    if exchange.status == 200 and exchange.operation == "list_buckets" and body.get("result"):
        body["result"] = [*body["result"], body["result"][-1]]
        exchange.json = body


def _cut_at_25(exchange: Exchange) -> None:
    body = exchange.json
    if exchange.status == 200 and exchange.operation == "list_buckets" and body.get("result"):
        body["result"] = body["result"][:25]
        body["result_info"] = {"page": 1, "per_page": 25, "count": len(body["result"]), "total_pages": 1}
        exchange.json = body


def _filename_per_answer(record: dict[str, Any]) -> None:
    record["filename"] = f"ownership-challenge-{uuid.uuid4().hex}.txt"


def _any_challenge_succeeds(record: dict[str, Any]) -> None:
    record["status"] = "success"
    record["validated"] = record["submitted"]


def _key_alone_is_enough(exchange: Exchange) -> None:
    headers = exchange.request_headers
    if "x-auth-key" in headers and "x-auth-email" not in headers and "authorization" not in headers:
        del headers["x-auth-key"]
        headers["authorization"] = "Bearer pcaps-contract-dev-token"


def _id_of_bucket(exchange: Exchange) -> None:
    # The id shown for an add is derived from the bucket: adding a bucket twice answers the same id.
    if exchange.status == 200 and exchange.operation == "add_bucket":
        body = exchange.json
        body["result"]["id"] = hashlib.md5(body["result"]["destination_conf"].encode()).hexdigest()
        exchange.json = body


list_repeats_the_newest = Broken(_repeat_the_newest)
list_cut_at_25 = Broken(_cut_at_25)
filename_drawn_per_answer = Broken(_on_records(_filename_per_answer, ("list_buckets",)))
any_challenge_succeeds = Broken(_on_records(_any_challenge_succeeds, ("validate_bucket",)))
api_key_alone = Broken(request=_key_alone_is_enough)
id_is_hash_of_bucket = Broken(_id_of_bucket)

BREAKS: dict[str, str] = {
    "list_repeats_the_newest": "listed_ids_are_unique",
    "list_cut_at_25": "listing_is_complete",
    "filename_drawn_per_answer": "record_is_stable",
    "any_challenge_succeeds": "made_up_challenge_never_succeeds",
    "api_key_alone": "half_credentials_are_refused",
    "id_is_hash_of_bucket": "ownership_id_is_new",
}
