"""The whole listing of an account: `engine.read_whole_listing` over scripted answers, `judge.Listing`'s union and
bound, `engine.Quiet` between writers and a reader of pages, and `pages_deliver_what_they_claim` on what a
server's `result_info` may claim, truthful or not (generated)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract.engine import Quiet, read_whole_listing
from pcaps_contract.judge import MAX_PAGES, Listing, checks
from pcaps_contract.judge.checks import ContractViolation, Exchange

URL = "http://x/client/v4/accounts/a/pcaps/ownership"


def ids(count: int) -> list[str]:
    return [f"{number:032x}" for number in range(1, count + 1)]


def answer(records: list[str], info: Any = None, status: int = 200, url: str = URL) -> Exchange:
    envelope: dict[str, Any] = {"success": status == 200, "errors": [], "messages": []}
    envelope["result"] = [{"id": i} for i in records] if status == 200 else None
    if info is not None:
        envelope["result_info"] = info
    return Exchange("list_buckets", "GET", url, status, json.dumps(envelope).encode())


class Server:
    """Answers list requests from a list of records, `per_page` a page, as a truthful paging server does."""

    def __init__(self, records: list[str], per_page: int, *, lie: str = "") -> None:
        self.records, self.per_page, self.lie = records, per_page, lie
        self.asked: list[tuple[int, int | None] | None] = []

    def __call__(self, page: tuple[int, int | None] | None) -> Exchange:
        self.asked.append(page)
        number, size = page if page is not None else (1, None)
        size = size or self.per_page
        if self.lie == "ignores page":
            number = 1
        shown = self.records[(number - 1) * size : number * size]
        pages = max(1, -(-len(self.records) // size)) + (1 if self.lie == "one more" else 0)
        total = len(self.records) + (7 if self.lie == "counts more" else 0)
        info = {"page": number, "per_page": size, "count": len(shown), "total_count": total, "total_pages": pages}
        return answer(shown, info)


def judge(listing: Listing) -> checks.Verdict:
    return checks.pages_deliver_what_they_claim(listing.first, listing.later)


# --- the reader --------------------------------------------------------------------------------------


def test_a_server_that_does_not_page_costs_one_request() -> None:
    one = answer(ids(3), {"page": 1, "per_page": 25, "count": 3, "total_count": 3, "total_pages": 1})
    server = Server(ids(3), 25)
    listing = read_whole_listing(server, Quiet())
    asked = server.asked
    assert listing is not None and listing.pages == (one,) and listing.union is listing.first
    assert asked == [None] and listing.whole and not listing.paged
    assert judge(listing) is checks.HELD


def test_pages_are_followed_with_the_servers_own_per_page_and_judged_as_one() -> None:
    server, quiet = Server(ids(23), 10), Quiet()
    listing = read_whole_listing(server, quiet)
    assert listing is not None and listing.whole and quiet.paging
    # The first answer claimed more pages: read again from the first with writes held back, then pages 2 and 3.
    assert server.asked == [None, None, (2, 10), (3, 10)]
    assert listing.union.result_ids() == set(ids(23))
    assert judge(listing) is checks.HELD
    # Once the run knows the target pages, a listing is read with writes held back from its first request.
    server.asked.clear()
    assert read_whole_listing(server, quiet) is not None
    assert server.asked == [None, (2, 10), (3, 10)]


def test_a_listing_is_read_up_to_its_bound_and_then_not_whole() -> None:
    server = Server(ids(200), 10)
    listing = read_whole_listing(server, Quiet())
    assert listing is not None and len(listing.pages) == MAX_PAGES and not listing.whole
    assert len(server.asked) == MAX_PAGES + 1
    assert judge(listing) is checks.HELD  # what was read delivered; the total is not judged on a part


def test_an_answer_missing_leaves_nothing_to_judge() -> None:
    answers = iter([answer(ids(2), {"total_pages": 2, "per_page": 2}), answer(ids(2), {"total_pages": 2}), None])
    assert read_whole_listing(lambda page: next(answers), Quiet()) is None
    assert read_whole_listing(lambda page: None, Quiet()) is None


@pytest.mark.parametrize(
    ("lie", "words"),
    [
        ("ignores page", "showing records no earlier page showed"),
        ("one more", "records on page 4"),
        ("counts more", "as many records"),
    ],
)
def test_pages_that_lie_are_named(lie: str, words: str) -> None:
    listing = read_whole_listing(Server(ids(23), 10, lie=lie), Quiet())
    assert listing is not None
    with pytest.raises(ContractViolation) as caught:
        judge(listing)
    assert caught.value.check == "pages_deliver_what_they_claim" and words in caught.value.expected


def test_a_page_refused_ends_the_reading_and_the_union_is_not_whole() -> None:
    answers = iter([answer(ids(2), {"total_pages": 3, "per_page": 2})] * 2 + [answer([], status=404)])
    listing = read_whole_listing(lambda page: next(answers), Quiet())
    assert listing is not None and len(listing.pages) == 2 and not listing.whole
    with pytest.raises(ContractViolation):
        judge(listing)


def test_pages_read_while_writes_went_on_are_not_judged_together() -> None:
    quiet, in_flight, release = Quiet(wait=0.05), threading.Event(), threading.Event()

    def write() -> None:
        with quiet.writing():
            in_flight.set()
            release.wait(30)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    assert in_flight.wait(30)
    try:
        listing = read_whole_listing(Server(ids(23), 10), quiet)
    finally:
        release.set()
        writer.join(30)
    assert listing is not None and not listing.quiet and not listing.judgeable and not listing.whole
    assert Listing((answer(ids(1)),), quiet=False).judgeable  # a single answer is one view whatever went on


# --- the quiet -----------------------------------------------------------------------------------------


def test_a_write_waits_while_pages_are_read_and_goes_on_after() -> None:
    quiet, wrote = Quiet(), threading.Event()

    def write() -> None:
        with quiet.writing():
            wrote.set()

    with quiet.alone() as had:
        assert had
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        assert not wrote.wait(0.2)  # held back (a longer wait would only make the test slower, never flaky)
        with quiet.writing():  # the reader's own thread is never held back by itself
            pass
    assert wrote.wait(30)
    writer.join(30)


def test_nested_writes_of_one_thread_count_once() -> None:
    quiet = Quiet(wait=0.05)
    with quiet.writing(), quiet.writing():
        pass
    with quiet.alone() as had:
        assert had


# --- what a server may claim, generated ---------------------------------------------------------------

NUMBERS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=3),
)
INFO = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.fixed_dictionaries(
        {},
        optional={name: NUMBERS for name in ("page", "per_page", "count", "total_count", "total_pages")},
    ),
)


@settings(max_examples=200, deadline=None)
@given(first=INFO, later=st.lists(INFO, max_size=MAX_PAGES + 3), records=st.integers(min_value=0, max_value=30))
def test_no_claim_makes_the_reader_send_past_its_bound_or_fail(first: Any, later: list[Any], records: int) -> None:
    """Class: a number from outside used unbounded. Whatever `result_info` claims, a listing costs at most
    `MAX_PAGES` requests after its first (and one first again), asks only for whole pages it was offered, and
    is judged with a verdict or a named violation, never an error."""
    answers = iter([answer(ids(records), first), answer(ids(records), first), *(answer(ids(1), i) for i in later)])
    asked: list[Any] = []

    def fetch(page: tuple[int, int | None] | None) -> Exchange | None:
        asked.append(page)
        return next(answers, None)

    listing = read_whole_listing(fetch, Quiet())
    assert len(asked) <= MAX_PAGES + 1
    assert all(page is None or (2 <= page[0] <= MAX_PAGES and (page[1] is None or page[1] >= 1)) for page in asked)
    if listing is not None:
        try:
            judge(listing)
        except ContractViolation as violation:
            assert violation.check == "pages_deliver_what_they_claim"


@settings(max_examples=100, deadline=None)
@given(count=st.integers(min_value=0, max_value=60), per_page=st.integers(min_value=1, max_value=25))
def test_truthful_pages_of_any_size_are_whole_and_kept(count: int, per_page: int) -> None:
    listing = read_whole_listing(Server(ids(count), per_page), Quiet())
    assert listing is not None
    assert judge(listing) is checks.HELD
    if -(-count // per_page) <= MAX_PAGES:
        assert listing.whole and listing.union.result_ids() == set(ids(count))
        assert checks.listing_is_complete(listing.union, set(ids(count))) in (checks.HELD, checks.OUT_OF_SCOPE)


def test_a_quiet_that_some_writes_pass_by_is_never_had_alone() -> None:
    listing = read_whole_listing(Server(ids(23), 10), Quiet(holds_every_write=False))
    assert listing is not None and not listing.judgeable and not listing.whole
