"""The lifecycle machine and its Judge in-process: the verdicts in the ledger, the requests sent, how a run stops."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests

from pcaps_contract._compat import ready_for_threads
from pcaps_contract._credentials import Credentials
from pcaps_contract.engine.challenges import Delivered, MockRouteSource
from pcaps_contract.engine.ownerships import CleanupRegistry
from pcaps_contract.engine.profiles import get_profile
from pcaps_contract.engine.sender import Cancelled, Throttled
from pcaps_contract.engine.targets import (
    API_BASE_PATH,
    IN_PROCESS_ORIGIN,
    MOCK_ACCOUNTS,
    bundled_mock,
    mock_credentials,
)
from pcaps_contract.gate.lanes import LOST_AFTER, Judge, LaneSettings, SeenIds, Shared, lane_runs, step_of
from pcaps_contract.gate.lifecycle import LifecycleMachine, Record, run_lane
from pcaps_contract.judge import AccountModel, Settling, checks
from pcaps_contract.judge.ledger import FAILED, PASSED, Ledger

BASE_URL = IN_PROCESS_ORIGIN + API_BASE_PATH
OWNER, OTHER = MOCK_ACCOUNTS
CREDENTIALS = mock_credentials()
OPERATIONS = ("list_buckets", "add_bucket", "delete_bucket", "validate_bucket")
BUCKET = "s3://pcaps-unit?region=us-east-1"
LIST_PATH = f"/accounts/{OWNER}/pcaps/ownership"
Rewrite = Callable[[httpx.Request, httpx.Response], httpx.Response]


class Server:
    """The bundled mock in-process behind a transport that records every request and may rewrite an answer."""

    def __init__(self, rewrite: Rewrite | None = None) -> None:
        self.mock = bundled_mock(CREDENTIALS, MOCK_ACCOUNTS).client()  # only the headers each request carries
        self.rewrite = rewrite
        self.sent: list[httpx.Request] = []
        self.client = httpx.Client(headers=CREDENTIALS.headers(), transport=httpx.MockTransport(self._answer))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        answer = self.mock.request(request.method, str(request.url), content=request.content, headers=request.headers)
        headers = {name: value for name, value in answer.headers.items() if name.lower() != "content-length"}
        response = httpx.Response(answer.status_code, headers=headers, content=answer.content)
        return self.rewrite(request, response) if self.rewrite is not None else response

    def held(self, account: str) -> list[str]:
        """The ids the mock lists for an account, asked past the recorder."""
        listing = self.mock.get(f"{BASE_URL}/accounts/{account}/pcaps/ownership", headers=CREDENTIALS.headers())
        return [record["id"] for record in listing.json()["result"]]

    def requests(self) -> list[str]:
        """Every request sent, with each id the server handed out replaced by its order of appearance."""
        names: dict[str, str] = {}

        def name(found: re.Match[str]) -> str:
            text = found.group()
            return text if text in MOCK_ACCOUNTS else names.setdefault(text, f"<id {len(names)}>")

        sent = (f"{r.method} {r.url.path} {r.content.decode()}" for r in self.sent)
        return [re.sub(r"[0-9a-f]{32}", name, line) for line in sent]


def hide_the_first_listed(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """A listing that leaves out its first record (and counts one fewer), every other answer as it was."""
    if request.method != "GET" or not request.url.path.endswith("/pcaps/ownership"):
        return response
    body = response.json()
    if not body.get("result"):
        return response
    body["result"] = body["result"][1:]
    info = body.get("result_info") or {}
    for key in ("count", "total_count"):
        if key in info:
            info[key] -= 1
    return httpx.Response(response.status_code, headers={"Content-Type": "application/json"}, json=body)


def judge_of(client: Any, credentials: Credentials | None = CREDENTIALS) -> Judge:
    return Judge(client, Ledger(OPERATIONS, []), LaneSettings(BASE_URL, credentials=credentials))


def lifecycle(judge: Judge, seed: int = 5, runs: int = 6) -> tuple[str | None, CleanupRegistry]:
    """One lifecycle run under the quick profile (not derandomized: the seed alone decides the draws)."""
    registry = CleanupRegistry()
    return run_lane(judge, MOCK_ACCOUNTS, registry, get_profile("quick"), seed, runs), registry


def failing(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[httpx.Client, list[httpx.Request]]:
    """A client whose every request goes to `handler`, and the list of requests it got."""
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return handler(request)

    return httpx.Client(transport=httpx.MockTransport(record)), sent


# --- the machine, whole -----------------------------------------------------------------------------------


@pytest.mark.slow  # whole runs against several servers: about 6 s
def test_the_machine_sends_the_same_requests_whatever_the_server_answers() -> None:
    correct, hiding = Server(), Server(hide_the_first_listed)
    lifecycle(judge_of(correct.client))
    lifecycle(judge_of(hiding.client))
    assert correct.requests() == hiding.requests()
    assert len(correct.requests()) > 20


@pytest.mark.slow  # whole runs at several seeds: about 8 s
def test_the_seed_decides_the_requests() -> None:
    first, again, other = Server(), Server(), Server()
    for server, seed in ((first, 5), (again, 5), (other, 6)):
        lifecycle(judge_of(server.client), seed=seed)
    assert first.requests() == again.requests() != other.requests()


def test_a_listing_without_a_created_id_is_a_created_ownership_is_listed_failure_with_the_create_in_its_steps() -> None:
    judge = judge_of(Server(hide_the_first_listed).client)
    lifecycle(judge)
    assert judge.ledger.status("list_buckets", "created_ownership_is_listed") == FAILED
    [failure] = [f for f in judge.ledger.failures() if f.check == "created_ownership_is_listed"]
    assert failure.operation == "list_buckets" and failure.expected.startswith("status 200 listing the created ids")
    assert failure.steps[0].method == "POST" and failure.steps[-1].method == "GET"


def paged_by(per_page: int, *, ignore_page: bool = False) -> Rewrite:
    """The mock's listing served `per_page` records a page (`?page=N` honoured unless `ignore_page`), truthfully."""

    def rewrite(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.method != "GET" or not request.url.path.endswith("/pcaps/ownership") or response.status_code != 200:
            return response
        body = response.json()
        records = body["result"] or []
        page = 1 if ignore_page else int(request.url.params.get("page", "1"))
        size = int(request.url.params.get("per_page", str(per_page)))
        body["result"] = records[(page - 1) * size : page * size]
        pages = max(1, -(-len(records) // size))
        body["result_info"] = {"page": page, "per_page": size, "total_count": len(records), "total_pages": pages}
        return httpx.Response(200, headers={"Content-Type": "application/json"}, json=body)

    return rewrite


def test_a_server_that_pages_is_read_page_by_page_and_passes() -> None:
    server = Server(paged_by(2))
    judge = judge_of(server.client)
    stopped, _ = lifecycle(judge)
    assert stopped is None and judge.ledger.failures() == []
    assert any("page=2&per_page=2" in str(request.url) for request in server.sent)
    for check in ("pages_deliver_what_they_claim", "listing_is_complete", "created_ownership_is_listed"):
        assert judge.ledger.status("list_buckets", check) == PASSED


def test_a_page_repeating_the_first_is_a_pages_deliver_what_they_claim_failure_with_every_page_in_its_steps() -> None:
    judge = judge_of(Server(paged_by(2, ignore_page=True)).client)
    lifecycle(judge)
    failures = [f for f in judge.ledger.failures() if f.check == "pages_deliver_what_they_claim"]
    assert failures and "showing records no earlier page showed" in failures[0].expected
    *_, first, second = failures[0].steps
    assert first.url.endswith(LIST_PATH) and second.url.endswith(f"{LIST_PATH}?page=2&per_page=2")


def test_the_correct_mock_passes_every_lifecycle_check_it_reaches() -> None:
    judge = judge_of(Server().client)
    stopped, _ = lifecycle(judge)
    assert stopped is None and judge.ledger.failures() == []
    for check in ("created_ownership_is_listed", "deleted_ownership_is_not_listed", "foreign_ownership_is_not_listed"):
        assert judge.ledger.status("list_buckets", check) == PASSED


def test_every_run_ends_with_what_it_created_deleted_and_out_of_the_cleanup_registry() -> None:
    server = Server()
    _, registry = lifecycle(judge_of(server.client))
    assert registry.created > 0 and len(registry) == 0
    assert server.held(OWNER) == [] and server.held(OTHER) == []


def test_a_target_that_stops_answering_stops_the_lifecycle_after_a_few_requests_and_says_why() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client, sent = failing(refuse)
    judge = judge_of(client)
    stopped, _ = lifecycle(judge)
    # A BaseException: Hypothesis neither takes it for a failing example nor sends it again.
    assert stopped == "the target stopped answering (ConnectError)" and len(sent) == LOST_AFTER
    assert len(judge.tally.lost) == LOST_AFTER and judge.ledger.failures() == []


def test_a_served_target_that_stops_answering_is_left_to_the_senders_halt_and_its_one_sentence() -> None:
    """Over a network the lanes count nothing themselves: the run's one rule (`_sender.Halt`) stops them all."""
    from pcaps_contract.engine.sender import TargetStoppedAnswering

    verdict = "the target stopped answering after answering 1 request(s): 6 request(s) in a row got no answer in 4 s"
    sent: list[str] = []

    class Dying:
        def request(self, method: str, url: str, **_: Any) -> Any:
            sent.append(method)
            if len(sent) > 2 * LOST_AFTER:
                raise TargetStoppedAnswering(verdict)
            raise requests.ConnectionError("connection refused")

    judge = judge_of(Dying())
    stopped, _ = lifecycle(judge)
    assert stopped == verdict and len(sent) == 2 * LOST_AFTER + 1


@pytest.mark.parametrize("why", ["--max-time 60s was spent", "interrupted (Ctrl-C or SIGTERM)"])
def test_a_stopped_run_stops_the_lifecycle_at_the_first_request_saying_why(why: str) -> None:
    def cancelled(request: httpx.Request) -> httpx.Response:
        raise Cancelled(why)

    client, sent = failing(cancelled)
    stopped, _ = lifecycle(judge_of(client))
    assert stopped == why and len(sent) == 1


def test_a_lane_draws_the_same_requests_alone_or_beside_another_on_one_server_and_never_judges_its_records() -> None:
    def side_by_side(threads: int) -> tuple[list[list[str]], list[Judge]]:
        mock = Server()  # one server holds every lane's records; each lane's client records its own requests
        servers = [Server() for _ in range(2)]
        for server in servers:
            server.mock = mock.mock
        seen, model = SeenIds(), AccountModel()  # as the gate's lanes share them
        judges = [
            Judge(
                server.client,
                Ledger(OPERATIONS, []),
                LaneSettings(BASE_URL, lane=lane),
                shared=Shared(seen_ids=seen, model=model),
            )
            for lane, server in enumerate(servers)
        ]
        registry, profile = CleanupRegistry(), get_profile("quick")
        # As the gate runs its lanes; CPython 3.11.7's ast.parse is not thread-safe, hence `ready_for_threads`.
        with ready_for_threads(), ThreadPoolExecutor(max_workers=threads) as pool:
            lanes = [
                pool.submit(run_lane, judge, MOCK_ACCOUNTS, registry, profile, 5 + n, 4)
                for n, judge in enumerate(judges)
            ]
            for lane in lanes:
                lane.result()
        return [server.requests() for server in servers], judges

    alone, _ = side_by_side(threads=1)
    together, judges = side_by_side(threads=2)
    assert alone == together
    for lane, sent in enumerate(alone):
        buckets = [bucket for line in sent for bucket in re.findall(r"://(pcaps-[^\"/?]*)", line)]
        assert buckets and all(bucket.startswith(f"pcaps-l{lane}-") for bucket in buckets)
    unlaned = [[re.sub(r"pcaps-l\d-", "pcaps-", line) for line in sent] for sent in alone]
    assert unlaned[0] != unlaned[1]  # each lane its own seed, not the same cases under other names
    assert [judge.ledger.failures() for judge in judges] == [[], []]


def test_a_lane_names_its_own_buckets_and_sees_only_them_in_a_list() -> None:
    judge = Judge(None, Ledger(OPERATIONS, []), LaneSettings(BASE_URL, lane=2))
    assert judge.in_lane("s3://pcaps-x/y?region=us-east-1") == "s3://pcaps-l2-x/y?region=us-east-1"
    assert judge.in_lane(judge.in_lane("r2://pcaps-x")) == "r2://pcaps-l2-x"
    assert judge.in_lane("s3://another?region=us-east-1") == "s3://another?region=us-east-1"
    assert judge_of(None).in_lane("s3://pcaps-x") == "s3://pcaps-x"
    records = [{"id": "a", "destination_conf": "s3://pcaps-l2-x"}, {"id": "b", "destination_conf": "s3://pcaps-l1-x"}]
    listing = checks.Exchange("list_buckets", "GET", BASE_URL, 200, json.dumps({"result": records}).encode())
    seen = judge.in_view(listing)
    assert seen is not None and seen.result_ids() == {"a"} and judge_of(None).in_view(listing) is listing


@pytest.mark.parametrize(
    ("runs", "lanes", "counts"), [(15, 6, [1, 3, 3, 3, 3, 2]), (60, 6, [1, 12, 12, 12, 12, 11]), (7, 1, [7])]
)
def test_the_burst_lane_gets_one_run_and_the_others_share_the_rest(runs: int, lanes: int, counts: list[int]) -> None:
    assert lane_runs(runs, lanes) == counts


def test_a_lane_is_built_from_plain_frozen_settings_and_shares_only_what_it_is_given() -> None:
    settings = LaneSettings(BASE_URL, lane=1, burst=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.lane = 2  # type: ignore[misc]
    shared = Shared(model=AccountModel())
    one, other = (Judge(None, Ledger(OPERATIONS, []), settings, shared=shared) for _ in range(2))
    alone = Judge(None, Ledger(OPERATIONS, []), settings)
    assert one.model is other.model is shared.model and one.seen_ids is other.seen_ids
    assert alone.model is not one.model and alone.seen_ids is not one.seen_ids and alone.quiet is not one.quiet
    assert (one.lane, one.burst_done, one.feeds_model, one.statuses) == (1, True, True, Counter())
    assert one.in_lane("s3://pcaps-x") == "s3://pcaps-l1-x"


# --- the Judge, one request at a time ---------------------------------------------------------------------


def test_an_answer_between_lost_requests_starts_the_count_again() -> None:
    answers = iter([None, None, 200, None, None, 200])

    def sometimes(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status is None:
            raise httpx.ReadTimeout("no answer", request=request)
        return httpx.Response(status, json={"success": True, "errors": [], "messages": [], "result": []})

    client, _ = failing(sometimes)
    judge = judge_of(client)
    for _ in range(6):
        judge.send("list_buckets", "GET", LIST_PATH)
    assert len(judge.tally.lost) == 4 and judge.statuses == Counter({200: 2})


def test_a_5xx_is_judged_by_not_a_server_error_only_with_the_secrets_redacted() -> None:
    token = CREDENTIALS.token or ""
    client, _ = failing(lambda request: httpx.Response(503, text=f"upstream refused Bearer {token}"))
    judge = judge_of(client)
    assert judge.send("add_bucket", "POST", LIST_PATH, {"destination_conf": BUCKET}) is None
    [failure] = judge.ledger.failures()
    assert failure.check == "not_a_server_error" and failure.received.startswith("status 503: upstream refused")
    assert token not in failure.received and json.loads(failure.steps[0].body or "") == {"destination_conf": BUCKET}
    assert [cell for cell in judge.ledger.cells.values() if cell.passed] == [] and judge.statuses == Counter({503: 1})


def test_a_throttled_request_is_counted_and_never_judged() -> None:
    def throttled(request: httpx.Request) -> httpx.Response:
        raise Throttled("429 after every wait")

    client, _ = failing(throttled)
    judge = judge_of(client)
    assert judge.send("list_buckets", "GET", LIST_PATH) is None
    assert judge.tally.throttled == 1 and judge.ledger.cells == {} and judge.tally.lost == []


def test_a_good_answer_passes_the_response_checks_in_the_ledger() -> None:
    judge = judge_of(Server().client)
    exchange = judge.send("list_buckets", "GET", LIST_PATH)
    assert exchange is not None and exchange.status == 200
    assert judge.ledger.status("list_buckets", "success_matches_status") == PASSED and judge.ledger.failures() == []


def test_given_headers_replace_the_credentials_of_an_httpx_client() -> None:
    server = Server()
    judge = judge_of(server.client)
    judge.send("list_buckets", "GET", LIST_PATH, headers={"X-Auth-Key": "half"})
    judge.send("list_buckets", "GET", LIST_PATH)
    probe, normal = server.sent
    assert "authorization" not in probe.headers and probe.headers["x-auth-key"] == "half"
    assert normal.headers["authorization"] == CREDENTIALS.headers()["Authorization"]


class _Recorder(requests.adapters.BaseAdapter):
    """A requests transport that answers an empty listing and keeps what was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.sent.append(request)
        response = requests.Response()
        response.status_code, response.request, response.url = 200, request, str(request.url)
        response._content = b'{"success": true, "errors": [], "messages": [], "result": []}'
        response.headers["Content-Type"] = "application/json"
        return response

    def close(self) -> None:
        pass


def test_given_headers_replace_the_credentials_of_a_requests_session() -> None:
    session, recorder = requests.Session(), _Recorder()
    session.mount("http://", recorder)
    session.headers.update({"X-Auth-Email": "right@example.com", "X-Auth-Key": "right-key"})
    judge = judge_of(session)
    judge.send("list_buckets", "GET", LIST_PATH, headers={"Authorization": "Bearer no"})
    [probe] = recorder.sent
    assert probe.headers["Authorization"] == "Bearer no"
    assert "X-Auth-Email" not in probe.headers and "X-Auth-Key" not in probe.headers


class _Source:
    """A challenge source that covers one bucket, answers as told and remembers what it was asked."""

    bucket = BUCKET

    def __init__(self, answer: Delivered | None = None) -> None:
        self.asked: list[tuple[str, str, str, str]] = []
        self.answer = answer if answer is not None else Delivered("delivered")

    def covers(self, destination_conf: str) -> bool:
        return destination_conf == BUCKET

    def challenge(
        self, account: str, ownership_id: str, destination_conf: str, filename: str, added: float
    ) -> Delivered:
        self.asked.append((account, ownership_id, destination_conf, filename))
        return self.answer


def _record(conf: str, filename: object = "ownership-challenge-abc.txt") -> Record:
    content = json.dumps({"success": True, "result": {"id": "abc", "filename": filename}})
    created = checks.Exchange("add_bucket", "POST", BASE_URL + LIST_PATH, 200, content.encode())
    return Record(OWNER, "abc", conf, created)


def test_a_challenge_is_read_from_the_source_only_for_a_bucket_it_covers_with_the_filename_the_server_gave() -> None:
    source = _Source()
    judge = Judge(None, Ledger(OPERATIONS, []), LaneSettings(BASE_URL), source)
    assert judge.challenge(_record("s3://another?region=us-east-1")) is None and source.asked == []
    assert judge.challenge(_record(BUCKET)) == "delivered"
    assert source.asked == [(OWNER, "abc", BUCKET, "ownership-challenge-abc.txt")]
    assert judge_of(None).challenge(_record(BUCKET)) is None


@pytest.mark.parametrize("filename", ["a\ud800.txt", "a\x1b]52;c;x\x07", "a b.txt", "", "x" * 1025, 7, None])
def test_a_filename_no_request_can_carry_is_never_sent_to_the_bucket(filename: object) -> None:
    source = _Source()
    judge = Judge(None, Ledger(OPERATIONS, []), LaneSettings(BASE_URL), source)
    judge.challenge(_record(BUCKET, filename))
    assert source.asked == [(OWNER, "abc", BUCKET, "")]


@pytest.mark.parametrize(
    ("found", "status"),
    [
        (Delivered(None, judged=True, wait=5.0), "failed"),
        (Delivered("delivered", judged=True, wait=5.0), "passed"),
        (Delivered(None), "skipped"),  # the bucket could not be read: nothing said of the server
    ],
    ids=["never-came", "delivered", "unread"],
)
def test_what_the_bucket_held_is_judged_on_the_add_as_challenge_file_is_delivered(
    found: Delivered, status: str
) -> None:
    ledger = Ledger(OPERATIONS, list(checks.CHECKS))
    judge = Judge(None, ledger, LaneSettings(BASE_URL), _Source(found))
    assert judge.challenge(_record(BUCKET)) == found.content
    assert ledger.status("add_bucket", "challenge_file_is_delivered") == status
    if status == "failed":
        [failure] = ledger.failures()
        assert [step.method for step in failure.steps] == ["POST"]  # the add whose file never came


def test_a_model_check_records_a_violation_with_its_trail_a_pass_or_nothing_when_it_did_not_apply() -> None:
    judge = judge_of(None)
    created = _record(BUCKET).created
    listing = checks.Exchange("list_buckets", "GET", BASE_URL + LIST_PATH, 200, b"{}")
    assert not judge.judge(listing, checks.created_ownership_is_listed, {"abc"}, trail=(created,))
    [failure] = judge.ledger.failures()
    assert failure.check == "created_ownership_is_listed" and [s.method for s in failure.steps] == ["POST", "GET"]
    assert judge.judge(listing, checks.created_ownership_is_listed, set())
    assert judge.ledger.cells[("list_buckets", "created_ownership_is_listed")].passed == 1
    assert judge.judge(listing, checks.listing_is_complete, set())  # nothing held: the check does not apply
    assert ("list_buckets", "listing_is_complete") not in judge.ledger.cells


def test_a_step_carries_the_json_body_and_says_whether_it_was_sent_with_the_credentials() -> None:
    exchange = checks.Exchange("add_bucket", "POST", f"{BASE_URL}/x", 200, request_body={"destination_conf": BUCKET})
    step = step_of(exchange, authenticated=False)
    assert step.body is not None and json.loads(step.body) == {"destination_conf": BUCKET}
    assert step.headers == {"Content-Type": "application/json"} and not step.authenticated
    bare = step_of(checks.Exchange("list_buckets", "GET", f"{BASE_URL}/x", 200))
    assert bare.body is None and bare.headers == {} and bare.authenticated


# --- each answer's time window ---------------------------------------------------------------------------------


def test_every_answer_the_judge_sends_for_carries_the_wall_clock_window_around_it() -> None:
    judge = judge_of(Server().client)
    before = datetime.now(UTC)
    exchange = judge.send("add_bucket", "POST", LIST_PATH, {"destination_conf": BUCKET})
    after = datetime.now(UTC)
    assert exchange is not None and exchange.sent_at is not None and exchange.read_at is not None
    assert before <= exchange.sent_at <= exchange.read_at <= after
    assert judge.ledger.status("add_bucket", "submitted_is_not_before_add") == PASSED


def an_hour_behind(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Every add answered with a `submitted` an hour before the request was sent."""
    if request.method != "POST" or not request.url.path.endswith("/pcaps/ownership") or response.status_code != 200:
        return response
    body = response.json()
    stamp = datetime.now(UTC) - timedelta(hours=1)
    body["result"]["submitted"] = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return httpx.Response(response.status_code, headers={"Content-Type": "application/json"}, json=body)


def test_the_lifecycle_names_an_add_stamped_an_hour_in_the_past() -> None:
    judge = judge_of(Server(an_hour_behind).client)
    lifecycle(judge)
    assert judge.ledger.status("add_bucket", "submitted_is_not_before_add") == FAILED
    assert judge.ledger.status("add_bucket", "submitted_is_not_in_future") == PASSED


def validated_an_hour_early(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    """Every validation that succeeds answered with a `validated` an hour before it was sent."""
    if not request.url.path.endswith("/validate") or response.status_code != 200:
        return response
    body = response.json()
    if body["result"].get("status") != "success":
        return response
    body["result"]["validated"] = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return httpx.Response(response.status_code, headers={"Content-Type": "application/json"}, json=body)


def validating_judge(server: Server) -> Judge:
    """A judge whose validations can succeed: challenges read from the mock's test route, past the recorder."""
    source = MockRouteSource(server.mock, BASE_URL)
    return Judge(server.client, Ledger(OPERATIONS, []), LaneSettings(BASE_URL), source)


def test_the_lifecycle_names_a_validation_stamped_before_it_was_sent() -> None:
    judge = validating_judge(Server(validated_an_hour_early))
    lifecycle(judge, runs=12)
    assert judge.ledger.status("validate_bucket", "validated_is_not_before_validation") == FAILED


def test_the_lifecycle_passes_validations_stamped_when_they_happen() -> None:
    judge = validating_judge(Server())
    lifecycle(judge, runs=12)
    assert PASSED in {judge.ledger.status(operation, "validated_is_not_before_validation") for operation in OPERATIONS}
    assert judge.ledger.failures() == []


def _validated_pending(lists_too: bool) -> Rewrite:
    """Every validate answers its record `pending` (no `validated`); lists too when `lists_too`, else as they are."""

    def rewrite(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        validating = request.url.path.endswith("/validate")
        if not (validating or (lists_too and request.method == "GET")) or response.status_code != 200:
            return response
        body = response.json()
        records = body["result"] if isinstance(body["result"], list) else [body["result"]]
        for record in records:
            record.update(status="pending", validated="")
        return httpx.Response(200, headers={"Content-Type": "application/json"}, json=body)

    return rewrite


class _Looks:
    """A stop signal that is never set and keeps each pause asked of it, so that a test waits for nothing."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> bool:
        self.pauses.append(seconds)
        return False


def _validating_lifecycle(server: Server, settling: Settling) -> Judge:
    ledger = Ledger(OPERATIONS, list(checks.CHECKS))
    source = MockRouteSource(server.mock, BASE_URL)
    judge = Judge(server.client, ledger, LaneSettings(BASE_URL), source, Shared(settling=settling))
    stopped, _ = lifecycle(judge, seed=3, runs=8)
    assert stopped is None
    return judge


def test_a_pending_validation_is_judged_once_the_list_shows_it_settled() -> None:
    looked = _Looks()
    server = Server(_validated_pending(lists_too=False))
    judge = _validating_lifecycle(server, Settling(60.0, looked))
    assert judge.ledger.status("list_buckets", "validation_sets_status") == PASSED
    assert judge.settling.unsettled is None and judge.delivered_validations > 0
    assert looked.pauses == [1.0]  # the first look settled it, and the run waits no more


def test_a_validation_that_stays_pending_is_not_judged_and_the_run_waits_for_it_once() -> None:
    looked = _Looks()
    server = Server(_validated_pending(lists_too=True))
    judge = _validating_lifecycle(server, Settling(20.0, looked))
    assert judge.settling.unsettled is not None and "20s (--validation-wait)" in judge.settling.unsettled
    assert judge.delivered_validations == 0
    assert judge.ledger.status("list_buckets", "validation_sets_status") != PASSED
    assert looked.pauses == [1, 2, 4, 8, 5]  # one wait of 20 s in all, never a second


def test_the_views_after_a_settled_validation_must_agree_with_it() -> None:
    """A list that shows `pending` again after validate answered `success` fails `record_is_stable`."""

    def list_pending(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        return _validated_pending(lists_too=True)(request, response) if request.method == "GET" else response

    server = Server(list_pending)
    judge = _validating_lifecycle(server, Settling(0.0))
    assert "record_is_stable" in {failure.check for failure in judge.ledger.failures()}


def _machine(server: Server) -> LifecycleMachine:
    """One lifecycle machine on the mock behind `server`, reading challenges on the mock's route."""
    ledger = Ledger(OPERATIONS, list(checks.CHECKS))
    judge = Judge(server.client, ledger, LaneSettings(BASE_URL), MockRouteSource(server.mock, BASE_URL))
    attributes = {"judge": judge, "accounts": MOCK_ACCOUNTS, "registry": CleanupRegistry()}
    machine: LifecycleMachine = type("Lifecycle", (LifecycleMachine,), attributes)()
    return machine


def test_a_settled_validation_is_followed_once_by_a_list_and_a_repeat_validate_that_must_agree_with_it() -> None:
    def list_pending(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        return _validated_pending(lists_too=True)(request, response) if request.method == "GET" else response

    server = Server(list_pending)
    machine = _machine(server)
    assert machine._add(OWNER, BUCKET) is not None
    machine.validate(0, "a" * 32, "b" * 32, 0, 0, BUCKET)
    machine.validate(0, "a" * 32, "b" * 32, 1, 0, BUCKET)  # a second one: no second follow-up
    sent = [request.url.path.rsplit("/", 1)[-1] for request in server.sent[1:]]
    assert sent == ["validate", "ownership", "validate", "validate"]
    failures = {failure.check for failure in machine.judge.ledger.failures()}
    assert failures == {"record_is_stable"}  # the list says `pending` after validate said `success`


def test_a_lane_whose_draws_sent_no_delivered_challenge_sends_one_before_its_teardown() -> None:
    server = Server()
    machine = _machine(server)
    assert machine._add(OWNER, BUCKET) is not None
    machine.teardown()
    validations = [json.loads(request.content) for request in server.sent if request.url.path.endswith("/validate")]
    assert validations[0]["ownership_challenge"] != "0" * 32  # the delivered one, not the stand-in
    assert machine.judge.delivered_validations == 1 and machine.judge.delivered_tried
    assert machine.judge.ledger.status("validate_bucket", "validation_sets_status") == PASSED
