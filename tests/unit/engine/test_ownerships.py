"""The cleanup: what a run created is tracked, deleted at the end, and what stays is listed with its id."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from pcaps_contract._credentials import r2_secrets
from pcaps_contract.engine.ownerships import (
    MAY_EXIST,
    CleanupRegistry,
    clean_up,
    clean_up_in_time,
    id_problem,
)
from pcaps_contract.engine.sender import Cancelled, TargetStoppedAnswering

BASE = "http://127.0.0.1:9/client/v4"


class FakeSession:
    """Answers deletes from a table of id -> status (or exception), and remembers what was asked."""

    def __init__(self, answers: dict[str, int | Exception | list[int]]) -> None:
        self.answers = answers
        self.urls: list[str] = []

    def delete(self, url: str) -> Any:
        self.urls.append(url)
        answer = self.answers.get(url.rsplit("/", 1)[1], self.answers.get("*", 404))
        if isinstance(answer, list):
            answer = answer.pop(0)
        if isinstance(answer, Exception):
            raise answer
        response = requests.Response()
        response.status_code = answer
        return response


def test_the_registry_counts_creations_and_forgets_deletions() -> None:
    registry = CleanupRegistry()
    registry.track("acc", "id1", "s3://b")
    registry.track("acc", "id1", "s3://b")  # the same id seen twice is one creation
    registry.track("other", "id2")
    registry.forget("acc", "id1")
    assert registry.created == 2
    assert [created.ownership_id for created in registry.held()] == ["id2"]
    assert registry.ids("other") == ["id2"] and registry.ids("acc") == []


def test_the_cleanup_deletes_every_held_ownership_under_its_account() -> None:
    registry = CleanupRegistry()
    registry.track("acc1", "a")
    registry.track("acc2", "b")
    session = FakeSession({"a": 204, "b": 204})
    result = clean_up(session, BASE, registry)  # type: ignore[arg-type]
    assert result.complete and len(result.deleted) == 2 and len(registry) == 0
    assert session.urls == [f"{BASE}/accounts/acc1/pcaps/ownership/a", f"{BASE}/accounts/acc2/pcaps/ownership/b"]


def test_an_ownership_already_gone_counts_as_deleted() -> None:
    registry = CleanupRegistry()
    registry.track("acc", "gone")
    assert clean_up(FakeSession({"gone": 404}), BASE, registry).complete  # type: ignore[arg-type]


def test_what_could_not_be_deleted_is_listed_with_its_id_and_reason() -> None:
    registry = CleanupRegistry()
    for name in ("ok", "broken", "down", "late"):
        registry.track("acc", name)
    session = FakeSession(
        {
            "ok": 204,
            "broken": 500,
            "down": requests.ConnectionError("refused"),
            "late": Cancelled("the cleanup's 120s was spent"),
        }
    )
    result = clean_up(session, BASE, registry, pause=lambda seconds: None)  # type: ignore[arg-type]
    assert not result.complete
    assert {(left.ownership_id, left.reason) for left in result.leftovers} == {
        ("broken", "status 500"),
        ("down", "ConnectionError"),
        ("late", "the cleanup's 120s was spent"),  # a stopped delete says why it stopped
    }
    assert [created.ownership_id for created in result.deleted] == ["ok"]


def test_a_server_error_on_a_cleanup_delete_is_retried_a_bounded_number_of_times() -> None:
    registry = CleanupRegistry()
    registry.track("acc", "flaky")
    registry.track("acc", "broken")
    pauses: list[float] = []
    session = FakeSession({"flaky": [500, 503, 204], "broken": [500, 500, 500, 500, 204]})
    result = clean_up(session, BASE, registry, attempts=4, pause=pauses.append)  # type: ignore[arg-type]
    assert [created.ownership_id for created in result.deleted] == ["flaky"]
    assert [(left.ownership_id, left.reason) for left in result.leftovers] == [("broken", "status 500")]
    assert pauses == [0.5, 1.0, 0.5, 1.0, 2.0] and len(session.urls) == 3 + 4


def test_a_client_error_on_a_cleanup_delete_is_not_retried() -> None:
    registry = CleanupRegistry()
    registry.track("acc", "forbidden")
    session = FakeSession({"forbidden": [403, 204]})
    result = clean_up(session, BASE, registry, pause=lambda seconds: None)  # type: ignore[arg-type]
    assert [left.reason for left in result.leftovers] == ["status 403"] and len(session.urls) == 1


def test_the_cleanup_stops_at_its_time_limit_and_lists_the_rest() -> None:
    registry = CleanupRegistry()
    registry.track("acc", "a")
    result = clean_up(FakeSession({"a": 204}), BASE, registry, time_limit=-1)  # type: ignore[arg-type]
    assert [left.reason for left in result.leftovers] == ["cleanup time limit reached"]


def test_account_and_id_are_quoted_in_the_delete_url() -> None:
    registry = CleanupRegistry()
    registry.track("a/b", "x@y:ü+")
    session = FakeSession({"x%40y%3A%C3%BC%2B": 204})
    clean_up(session, BASE, registry)  # type: ignore[arg-type]
    assert session.urls == [f"{BASE}/accounts/a%2Fb/pcaps/ownership/x%40y%3A%C3%BC%2B"]


class ListingSession(FakeSession):
    """A FakeSession that also answers the list of an account with fixed records."""

    def __init__(self, records: list[dict[str, str]], answers: dict[str, int | Exception | list[int]]) -> None:
        super().__init__(answers)
        self.records = records

    def get(self, url: str) -> Any:
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"success": True, "errors": [], "messages": [], "result": self.records}).encode()
        return response


def test_a_create_without_a_readable_answer_is_found_by_its_bucket_and_deleted() -> None:
    registry = CleanupRegistry()
    registry.existed_before("acc", {"old"})
    registry.expect("acc", "s3://lost")
    records = [
        {"id": "old", "destination_conf": "s3://lost"},  # there before the run: never touched
        {"id": "new", "destination_conf": "s3://lost"},  # made by the create that timed out
        {"id": "theirs", "destination_conf": "s3://someone-else"},  # not this run's bucket
    ]
    session = ListingSession(records, {"new": 204})
    result = clean_up(session, BASE, registry)  # type: ignore[arg-type]
    assert [created.ownership_id for created in result.deleted] == ["new"]
    assert session.urls == [f"{BASE}/accounts/acc/pcaps/ownership/new"]


def test_accounts_and_ids_are_quoted_exactly_once_in_the_cleanup_urls() -> None:
    registry = CleanupRegistry()
    registry.track("FÙp±2/ñ%41", "idñ")
    session = FakeSession({"id%C3%B1": 204})
    result = clean_up(session, BASE, registry)  # type: ignore[arg-type]
    assert result.complete
    assert session.urls == [f"{BASE}/accounts/F%C3%99p%C2%B12%2F%C3%B1%2541/pcaps/ownership/id%C3%B1"]


def test_an_id_no_url_can_address_is_listed_as_left_behind() -> None:
    registry = CleanupRegistry()
    assert not registry.track("acc", "..")
    result = clean_up(FakeSession({}), BASE, registry)  # type: ignore[arg-type]
    assert [(left.ownership_id, left.reason) for left in result.leftovers] == [
        ('".."', "not deleted: the id is a dot segment, which addresses another path")
    ]


# What a server may hand back as an id: hostile text (lone surrogates, controls, format characters, separators,
# path syntax), real ids, and JSON values of other types.
SERVER_IDS = st.one_of(
    st.text(
        st.one_of(
            st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Lu", "Ll", "Nd"]),
            st.sampled_from("/\\%?#;.@:+ \t\n\x00\x1b\u202e"),
        ),
        max_size=40,
    ),
    st.text("0123456789abcdef", min_size=32, max_size=32),
    st.none(),
    st.booleans(),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@pytest.mark.slow  # a whole lifecycle per example: about 15 s
@given(st.lists(SERVER_IDS, min_size=1, max_size=5))
def test_every_id_a_server_hands_back_is_deleted_by_a_plain_url_or_listed_escaped_and_never_sent(
    ids: list[object],
) -> None:
    registry = CleanupRegistry()
    accepted = [value for value in ids if registry.track("acc", value)]
    session = FakeSession({"*": 204})
    result = clean_up(session, BASE, registry)  # type: ignore[arg-type]
    prefix = f"{BASE}/accounts/acc/pcaps/ownership/"
    assert all(url.startswith(prefix) for url in session.urls)
    sent = [unquote(url.removeprefix(prefix), errors="strict") for url in session.urls]
    assert sorted(sent) == sorted(set(accepted))  # type: ignore[type-var]
    for value in accepted:
        assert isinstance(value, str) and 1 <= len(value) <= 32 and value.isprintable()
        assert not set(value) & set("/\\%?#; ") and value not in (".", "..")
    refused = [value for value in ids if id_problem(value) is not None]
    assert len(result.leftovers) == len({json.dumps(value) for value in refused})
    for left in result.leftovers:
        assert left.ownership_id.isascii() and left.ownership_id.isprintable() and len(left.ownership_id) <= 100
        assert left.reason.startswith("not deleted: ") and left.reason.isascii()
    assert registry.created == len(set(map(json.dumps, ids)))


def test_one_delete_that_fails_unexpectedly_leaves_the_others_deleted() -> None:
    registry = CleanupRegistry()
    for name in ("first", "broken", "last"):
        registry.track("acc", name)
    result = clean_up(FakeSession({"first": 204, "broken": RuntimeError("boom"), "last": 204}), BASE, registry)  # type: ignore[arg-type]
    assert sorted(created.ownership_id for created in result.deleted) == ["first", "last"]
    assert [(left.ownership_id, left.reason) for left in result.leftovers] == [
        ("broken", "the delete failed (RuntimeError)")
    ]


def test_a_listed_record_of_a_lost_create_with_an_unsendable_id_is_listed_as_left_behind() -> None:
    registry = CleanupRegistry()
    registry.expect("acc", "s3://lost")
    records = [
        {"id": "bad\ud800" + "0" * 28, "destination_conf": "s3://lost"},
        {"id": "good", "destination_conf": "s3://lost"},
    ]
    session = ListingSession(records, {"good": 204})
    result = clean_up(session, BASE, registry)  # type: ignore[arg-type]
    assert [created.ownership_id for created in result.deleted] == ["good"]
    assert [left.ownership_id for left in result.leftovers] == ['"bad\\ud800' + "0" * 28 + '"']


class FailingListing(FakeSession):
    """Answers deletes as FakeSession does; every listing of an account fails with `error` (or answers `status`)."""

    def __init__(self, error: Exception | None, status: int = 200, body: bytes = b"") -> None:
        super().__init__({"*": 204})
        self.error, self.status, self.body = error, status, body
        self.listed: list[str] = []

    def get(self, url: str) -> Any:
        self.listed.append(url)
        if self.error is not None:
            raise self.error
        response = requests.Response()
        response.status_code = self.status
        response._content = self.body
        return response

    def close(self) -> None:
        pass


R2_SECRET = "r2-secret-canary-5be1d0"
LOST_R2 = f"r2://lost-bucket?account-id=acc&access-key-id=AKIDcanary77&secret-access-key={R2_SECRET}"


@pytest.mark.parametrize(
    "session",
    [
        FailingListing(TargetStoppedAnswering("the target stopped answering after answering 3 request(s): ...")),
        FailingListing(Cancelled("the cleanup's 120s was spent")),
        FailingListing(requests.ReadTimeout("read timed out")),
        FailingListing(RuntimeError("boom")),
        FailingListing(None, status=503, body=b"down"),
        FailingListing(None, status=200, body=b"<html>not a list</html>"),
    ],
    ids=["halted", "cleanup-time-spent", "timeout", "unexpected", "5xx", "not-a-list-answer"],
)
def test_a_create_whose_fate_is_unknown_is_listed_as_a_possible_leftover_when_its_account_cannot_be_listed(
    session: FailingListing,
) -> None:
    registry = CleanupRegistry()
    registry.expect("acc", "s3://lost?region=us-east-1")
    registry.expect("acc", LOST_R2)
    registry.track("acc", "made")
    result = clean_up(session, BASE, registry)  # type: ignore[arg-type]
    assert session.listed == [f"{BASE}/accounts/acc/pcaps/ownership"]
    assert [created.ownership_id for created in result.deleted] == ["made"]  # the others' deletes went on
    assert not result.complete
    possible = [(left.account, left.destination_conf, left.reason) for left in result.leftovers if left.possible]
    shown_r2 = "r2://lost-bucket?account-id=acc&access-key-id=$R2_ACCESS_KEY_ID&secret-access-key=$R2_SECRET_ACCESS_KEY"
    assert possible == [("acc", shown_r2, MAY_EXIST), ("acc", "s3://lost?region=us-east-1", MAY_EXIST)]
    assert len(result.leftovers) == 2
    described = [left.described for left in result.leftovers]
    assert all("a possible ownership (id unknown) of bucket " in text for text in described), described
    assert not any(R2_SECRET in text or "AKIDcanary77" in text for text in described), described


def test_a_listing_that_answers_settles_every_create_of_its_account_found_or_not() -> None:
    registry = CleanupRegistry()
    registry.expect("acc", "s3://made")
    registry.expect("acc", "s3://never-made")
    session = ListingSession([{"id": "new", "destination_conf": "s3://made"}], {"new": 204})
    result = clean_up(session, BASE, registry)  # type: ignore[arg-type]
    assert result.complete and [created.ownership_id for created in result.deleted] == ["new"]
    assert registry.expected() == []


def test_a_second_ctrl_c_lists_the_creates_whose_fate_is_unknown_too() -> None:
    registry = CleanupRegistry()
    registry.expect("acc", "s3://lost")

    def make_session(stop: object) -> Any:
        return FailingListing(KeyboardInterrupt())  # type: ignore[arg-type]

    result = clean_up_in_time(make_session, BASE, registry, time_limit=5)
    assert [(left.destination_conf, left.possible, left.reason) for left in result.leftovers] == [
        ("s3://lost", True, MAY_EXIST)
    ]


@given(
    st.text(max_size=400)
    | st.builds(
        lambda key: f"r2://b?secret-access-key={key}", st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=8)
    )
)
def test_a_possible_leftover_shows_its_bucket_printable_bounded_and_without_its_r2_keys(conf: str) -> None:
    registry = CleanupRegistry()
    registry.expect("acc", conf)
    [left] = clean_up(FailingListing(requests.ConnectionError("reset")), BASE, registry).leftovers  # type: ignore[arg-type]
    shown = left.destination_conf
    assert shown is not None and shown.isprintable() and len(shown) <= 300
    for secret, _ in r2_secrets(conf):
        assert len(secret) < 8 or secret not in shown, (secret, shown)
