"""`check` and `fuzz` against a target that answers the preflight and then dies or throttles, over real sockets.

Each run must end within about 2 x --timeout of the target's last answer (or at once on a Retry-After its budget
cannot afford), exit 2 with one true sentence, and still write its reports and try its cleanup.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import pytest
from markupsafe import escape

from pcaps_contract.engine.ownerships import MAY_EXIST, shown_conf
from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from pcaps_contract.report.folder import HTML_FILE
from tests.gallery.broken import OWNER

TOKEN = "a-dying-target-canary-3f9a1c"
TIMEOUT = 2.0
# The verdict within 2 x --timeout of the last answer, plus room for a loaded box (start-up, reports, exit).
BOUND = 2 * TIMEOUT + 15
EMPTY_LIST = json.dumps({"success": True, "errors": [], "messages": [], "result": []}).encode()
THROTTLED = json.dumps(
    {"success": False, "errors": [{"code": 971, "message": "Please wait and retry."}], "messages": [], "result": None}
).encode()
CREATED_ID = "9f1c2e3d4b5a69788796a5b4c3d2e1f0"
# Every connection and every handler ends by itself after this long: no test can hang on the server.
SERVER_SECONDS = 60.0


@dataclass
class Dying:
    """A raw HTTP/1.1 server on 127.0.0.1 that answers like the API for a while, then misbehaves (`mode`).

    hang: answers the preflight (the first list), then accepts every request and never answers.
    drip: answers the preflight, then sends each answer a byte every 2 s.
    throttle: answers every request 429 with Retry-After: 300, the preflight too.
    throttle-after: answers the preflight, then 429 with Retry-After: 300.
    create-then-hang: answers the preflight and the first create (an ownership the run must delete), then hangs.
    create-then-throttle: the same, then 429 with Retry-After: 300 (longer than the cleanup's own 120 s).
    add-hangs: answers every request (a list with an empty list, anything else 404) until an add whose bucket
        matches `lost`; that add and every later request get no answer (so the cleanup cannot list the account).
    """

    mode: str
    lost: re.Pattern[str] = re.compile(".")
    lost_conf: str | None = None  # the bucket of the add that got no answer
    adds: list[str] = field(default_factory=list)  # the bucket of every add received
    last_answer: float | None = None  # time.monotonic() of the last answer it gave
    stopped_answering: float | None = None  # time.monotonic() of the first request it did not answer
    requests: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    created: bool = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, path = head.split(b" ", 2)[:2]
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                body = await reader.readexactly(int(length.group(1))) if length else b""
                self.requests += 1
                conf = add_bucket(method.decode(), path.decode(), body)
                self.adds += [conf] if conf is not None else []
                if self.mode == "add-hangs" and self.lost_conf is None and conf is not None and self.lost.search(conf):
                    self.lost_conf = conf
                if not await self.answer(method.decode(), path.decode(), writer):
                    return
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.tasks.discard(task)
            writer.close()

    async def answer(self, method: str, path: str, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection is to end."""
        is_list = method == "GET" and path.rstrip("/").endswith("/pcaps/ownership")
        throttling = self.mode in ("throttle-after", "create-then-throttle") and self.last_answer is not None
        if self.mode == "throttle" or (throttling and not (self.mode.startswith("create") and not self.created)):
            self.send(writer, "429 Too Many Requests", THROTTLED, "Retry-After: 300\r\n")
        elif self.last_answer is None and is_list:
            self.send(writer, "200 OK", EMPTY_LIST)
        elif self.mode == "add-hangs" and self.lost_conf is None:
            if is_list:
                self.send(writer, "200 OK", EMPTY_LIST)
            else:
                self.send(writer, "404 Not Found", NOT_FOUND)
        elif self.mode.startswith("create-then") and not self.created and method == "POST":
            self.created = True
            self.send(writer, "200 OK", created(path))
        elif self.mode == "drip":
            self.stopped_answering = self.stopped_answering or time.monotonic()
            body = EMPTY_LIST
            writer.write(
                f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            )
            for index in range(len(body)):
                writer.write(body[index : index + 1])
                await writer.drain()
                await asyncio.sleep(2.0)
            return False
        else:  # hang: accepted, never answered
            self.stopped_answering = self.stopped_answering or time.monotonic()
            await asyncio.sleep(SERVER_SECONDS)
            return False
        await writer.drain()
        return True

    def send(self, writer: asyncio.StreamWriter, status: str, body: bytes, extra: str = "") -> None:
        head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
        writer.write(head.encode() + body)
        self.last_answer = time.monotonic()


NOT_FOUND = json.dumps(
    {"success": False, "errors": [{"code": 1000, "message": "not found"}], "messages": [], "result": None}
).encode()


def add_bucket(method: str, path: str, body: bytes) -> str | None:
    """The bucket an add names (None for any other request, or an add that names none)."""
    if method != "POST" or not path.rstrip("/").endswith("/pcaps/ownership"):
        return None
    with suppress(ValueError, AttributeError):
        conf = json.loads(body).get("destination_conf")
        return conf if isinstance(conf, str) else None
    return None


def created(path: str) -> bytes:
    """A create's success envelope, for the account in the path."""
    record = {
        "id": CREATED_ID,
        "destination_conf": "s3://pcaps-dying-bucket?region=us-east-1",
        "filename": "ownership-challenge-1a2b3c4d.txt",
        "status": "pending",
        "submitted": "2026-05-01T10:00:00Z",
        "validated": "",
    }
    del path
    return json.dumps({"success": True, "errors": [], "messages": [], "result": record}).encode()


@contextmanager
def serve(mode: str, lost: str = ".") -> Iterator[tuple[str, Dying]]:
    """Serve `mode` from an event loop in a thread; yields the API base URL and the server's record."""
    dying = Dying(mode, re.compile(lost))
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(dying.handle, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def shut_down() -> None:
        server.close()
        for task in list(dying.tasks):
            task.cancel()
        await asyncio.sleep(0)

    try:
        yield f"http://127.0.0.1:{port}/client/v4", dying
    finally:
        with suppress(Exception):
            asyncio.run_coroutine_threadsafe(shut_down(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@dataclass(frozen=True)
class Ran:
    code: int
    output: str
    ended: float  # time.monotonic() when the process had exited

    def tail(self) -> str:
        return f"exit {self.code}; output ends:\n{self.output[-3000:]}"


def environment() -> dict[str, str]:
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith("CLOUDFLARE_")},
        "NO_COLOR": "1",
    }


def run(argv: list[str], cwd: Path, kill_after: float = 120) -> Ran:
    try:
        process = subprocess.run(
            [sys.executable, "-m", "pcaps_contract._cli", *argv, "--token", TOKEN, "--account-id", OWNER],
            cwd=cwd,
            env=environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=kill_after,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"`{argv[0]}` still ran after {kill_after:.0f} s: {str(exc.stdout or '')[-2000:]}")
    return Ran(process.returncode, process.stdout + process.stderr, time.monotonic())


def check(url: str, tmp_path: Path, *extra: str) -> Ran:
    argv = ["check", "--base-url", url, "--timeout", f"{TIMEOUT:g}", "--seed", "1", "--max-time", "900"]
    argv += ["--report-dir", str(tmp_path / "report"), "--junit-xml", str(tmp_path / "junit.xml"), *extra]
    return run(argv, tmp_path)


def fuzz(url: str, tmp_path: Path, duration: str = "10m") -> Ran:
    argv = ["fuzz", "--base-url", url, "--timeout", f"{TIMEOUT:g}", "--seed", "1", "--duration", duration]
    return run([*argv, "--report-dir", str(tmp_path / "report")], tmp_path)


def seconds_after_last_answer(ran: Ran, dying: Dying) -> float:
    assert dying.last_answer is not None, "the server never answered: the preflight did not reach it"
    return ran.ended - dying.last_answer


def seconds_after_it_stopped_answering(ran: Ran, dying: Dying) -> float:
    """From the first request the target left without an answer to the run's exit: the time the bound is about."""
    assert dying.stopped_answering is not None, "every request was answered: the test proves nothing"
    return ran.ended - dying.stopped_answering


STOPPED = re.compile(
    r"the target stopped answering after answering (\d+) request\(s\): (\d+) request\(s\) in a row got no answer in "
    r"(\d+) s"
)


def assert_stopped_answering(ran: Ran, dying: Dying, text: str, leftovers: list[dict[str, object]]) -> None:
    """Exit 2 within the bound, one sentence whose figures are true, no traceback, no token.

    Or exit 3 when adds were on their way as the target died: each may have created an ownership the dead target
    cannot list, so each is listed as a possible leftover by its bucket, and nothing else is.
    """
    assert ran.code in (2, 3), ran.tail()
    if ran.code == 3:
        sent = {shown_conf(conf) for conf in dying.adds}
        assert leftovers and all(left["possible"] and left["destination_conf"] in sent for left in leftovers), leftovers
    assert "Traceback" not in ran.output and TOKEN not in ran.output, ran.tail()
    found = STOPPED.search(text)
    assert found is not None, text[-2000:]
    answered, in_a_row, seconds = (int(group) for group in found.groups())
    assert answered >= 1 and in_a_row >= 2 and 2 * TIMEOUT - 1 <= seconds <= BOUND, found.group(0)
    after = seconds_after_it_stopped_answering(ran, dying)
    bound = BOUND + (TIMEOUT if ran.code == 3 else 0)  # with adds to find, the cleanup's one listing try too
    assert after <= bound, f"the run ended {after:.1f} s after the target stopped answering (bound {bound} s)"


@pytest.mark.parametrize("mode", ["hang", "drip"])
@pytest.mark.parametrize("command", ["check", "fuzz"])
def test_a_run_ends_within_two_timeouts_of_a_target_that_stops_answering(
    command: str, mode: str, tmp_path: Path
) -> None:
    with serve(mode) as (url, dying):
        ran = check(url, tmp_path) if command == "check" else fuzz(url, tmp_path)
    result = json.loads((tmp_path / "report" / "result.json").read_text(encoding="utf-8"))
    text = result["error"] if command == "check" else result["stop_reason"]
    assert_stopped_answering(ran, dying, text, result["leftovers"])
    assert "time was up" not in ran.output and "broke down" not in ran.output, ran.tail()
    if command == "fuzz":
        assert result["crashed"] and not result["findings"], result["findings"][:2]  # a dead target is no finding
        return
    assert result["exit_code"] == ran.code and STOPPED.search(ran.output), ran.tail()
    errors = [error.get("message") or "" for error in ElementTree.parse(tmp_path / "junit.xml").iter("error")]
    assert any(STOPPED.search(message) for message in errors), errors


def test_a_run_that_created_something_before_the_target_died_lists_it_after_one_bounded_try(tmp_path: Path) -> None:
    """The cleanup tries (one request: the target is known dead), lists what it could not delete, and exits 3."""
    with serve("create-then-hang") as (url, dying):
        ran = check(url, tmp_path, "--max-examples", "20")
    assert dying.created, "the run never created anything: the test proves nothing"
    result = json.loads((tmp_path / "report" / "result.json").read_text(encoding="utf-8"))
    assert ran.code == 3 and result["exit_code"] == 3, ran.tail()
    assert CREATED_ID in json.dumps(result["leftovers"]) and CREATED_ID in ran.output, ran.tail()
    assert STOPPED.search(result["error"] or ""), result["error"]
    # Two timeouts to halt, one for the cleanup's single try, and the room of the bound.
    assert seconds_after_it_stopped_answering(ran, dying) <= BOUND + TIMEOUT, ran.tail()


# The lifecycle's adds name buckets of its lanes (`s3://pcaps-l2-...`); fuzz's, any bucket.
LIFECYCLE_ADD = r"://pcaps-l\d+-"


@pytest.mark.parametrize("command", ["check", "fuzz"])
def test_an_add_that_got_no_answer_from_a_target_that_died_is_listed_as_a_possible_leftover(
    command: str, tmp_path: Path
) -> None:
    """The add may have created an ownership and the dead target cannot be listed: it is listed by its bucket."""
    with serve("add-hangs", LIFECYCLE_ADD if command == "check" else ".") as (url, dying):
        ran = check(url, tmp_path, "--max-examples", "20") if command == "check" else fuzz(url, tmp_path)
    assert dying.lost_conf is not None, f"no add reached the target: the test proves nothing; {ran.tail()}"
    assert ran.code == 3 and "Traceback" not in ran.output and TOKEN not in ran.output, ran.tail()
    result = json.loads((tmp_path / "report" / "result.json").read_text(encoding="utf-8"))
    assert result["exit_code"] == 3, result["leftovers"]
    bucket = shown_conf(dying.lost_conf)
    possible = [left for left in result["leftovers"] if left["possible"] and left["destination_conf"] == bucket]
    assert possible and possible[0]["account"] == OWNER and possible[0]["reason"] == MAY_EXIST, result["leftovers"]
    assert f"LEFT BEHIND: a possible ownership (id unknown) of bucket {bucket} of account {OWNER}" in ran.output
    assert MAY_EXIST in ran.output, ran.tail()
    errors = [error.get("message") or "" for error in ElementTree.parse(junit_of(command, tmp_path)).iter("error")]
    assert any(bucket in message and MAY_EXIST in message for message in errors), errors
    page = (tmp_path / "report" / HTML_FILE).read_text(encoding="utf-8")
    assert str(escape(f"unknown (a possible ownership of bucket {bucket})")) in page
    # Two timeouts to halt, one for the cleanup's single try, and the room of the bound.
    assert seconds_after_it_stopped_answering(ran, dying) <= BOUND + TIMEOUT, ran.tail()


def junit_of(command: str, tmp_path: Path) -> Path:
    return tmp_path / "junit.xml" if command == "check" else tmp_path / "report" / "junit.xml"


def test_a_cleanup_told_to_wait_longer_than_its_own_time_lists_what_it_left_at_once(tmp_path: Path) -> None:
    with serve("create-then-throttle") as (url, dying):
        ran = check(url, tmp_path, "--max-examples", "20", "--max-time", "60")
    assert dying.created, "the run never created anything: the test proves nothing"
    result = json.loads((tmp_path / "report" / "result.json").read_text(encoding="utf-8"))
    assert ran.code == 3 and CREATED_ID in json.dumps(result["leftovers"]), ran.tail()
    reasons = [leftover["reason"] for leftover in result["leftovers"]]
    assert any(THROTTLED_BEYOND.search(reason) and "the cleanup's 120s" in reason for reason in reasons), reasons
    assert seconds_after_last_answer(ran, dying) <= 15, ran.tail()  # neither the run nor the cleanup waited


THROTTLED_BEYOND = re.compile(
    r"throttled: the target answered 429 asking to wait 300 s \(Retry-After\), more than the \d+ s left of "
)


@pytest.mark.parametrize("mode", ["throttle", "throttle-after"])
def test_check_stops_at_once_on_a_retry_after_longer_than_its_max_time(mode: str, tmp_path: Path) -> None:
    with serve(mode) as (url, dying):
        ran = check(url, tmp_path, "--max-time", "60")
    assert ran.code == 2 and THROTTLED_BEYOND.search(ran.output) and "--max-time 60s" in ran.output, ran.tail()
    assert seconds_after_last_answer(ran, dying) <= 15, ran.tail()  # no wait: the verdict as soon as it is known
    result = json.loads((tmp_path / "report" / "result.json").read_text(encoding="utf-8"))
    assert THROTTLED_BEYOND.search(result["error"]), result["error"]


@pytest.mark.parametrize("mode", ["throttle", "throttle-after"])
def test_fuzz_stops_at_once_on_a_retry_after_longer_than_its_duration(mode: str, tmp_path: Path) -> None:
    with serve(mode) as (url, dying):
        ran = fuzz(url, tmp_path, duration="15s")
    assert ran.code == 2 and THROTTLED_BEYOND.search(ran.output) and "--duration 15s" in ran.output, ran.tail()
    assert seconds_after_last_answer(ran, dying) <= 15, ran.tail()
    result = json.loads((tmp_path / "report" / "result.json").read_text(encoding="utf-8"))
    assert THROTTLED_BEYOND.search(json.dumps(result)), result["stop_reason"]


# --- interrupted or out of time: each message says which ----------------------------------------------------


def slow_check(url: str, tmp_path: Path, *extra: str) -> list[str]:
    """A check against the mock slowed by its rate limit, so that it is surely mid-run (the lifecycle too)."""
    return [
        sys.executable, "-m", "pcaps_contract._cli", "check", "--base-url", url, "--token", TOKEN,
        "--account-id", OWNER, "--seed", "1", "--rate-limit", "5/s", "--report-dir", str(tmp_path / "report"),
        *extra,
    ]  # fmt: skip


def test_a_check_interrupted_by_ctrl_c_says_interrupted_never_that_its_time_was_up(tmp_path: Path) -> None:
    with serve_in_thread(create_app(MockConfig(token=TOKEN))) as origin:
        process = subprocess.Popen(
            slow_check(origin + "/client/v4", tmp_path),
            env=environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
        )
        events = tmp_path / "report" / "events.ndjson"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (events.exists() and events.stat().st_size):
            time.sleep(0.1)
        time.sleep(4)  # into the phases and the lifecycle's lanes, at 5 requests/s
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("check went on after Ctrl-C")
    assert process.returncode == 2, output[-3000:]
    assert "interrupted (Ctrl-C or SIGTERM)" in output, output[-3000:]
    assert "time was up" not in output and "--max-time" not in output and "was spent" not in output, output[-3000:]
    assert "Traceback" not in output and TOKEN not in output


def test_a_check_out_of_time_says_its_max_time_was_spent_never_interrupted(tmp_path: Path) -> None:
    with serve_in_thread(create_app(MockConfig(token=TOKEN))) as origin:
        process = subprocess.run(
            slow_check(origin + "/client/v4", tmp_path, "--max-time", "6"),
            env=environment(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=180,
        )
    output = process.stdout + process.stderr
    assert process.returncode == 2, output[-3000:]
    assert "--max-time 6s was spent" in output or "reached --max-time 6s" in output, output[-3000:]
    assert "interrupted" not in output and "time was up" not in output, output[-3000:]


WAITED = re.compile(
    r"the target answered 429 (\d+) time\(s\); requests waited them out during (\d+)s of the run's (\d+)s"
)


def test_the_time_a_check_waited_out_429s_is_wall_time_never_more_than_the_run_lasted(tmp_path: Path) -> None:
    """Six workers waiting out the same Retry-After at once wait once: the note never sums their waits."""
    config = MockConfig(token=TOKEN, rate_limit_rate=0.2, retry_after=2, seed=3)
    with serve_in_thread(create_app(config)) as origin:
        argv = ["check", "--base-url", origin + "/client/v4", "--seed", "1", "--workers", "6"]
        ran = run([*argv, "--max-examples", "1", "--max-time", "600"], tmp_path, kill_after=300)
    found = WAITED.search(ran.output)
    assert found is not None, ran.tail()
    throttled, waited, seconds = (int(group) for group in found.groups())
    assert throttled >= 2 and 2 <= waited <= seconds + 1, found.group(0)  # whole seconds, each rounded
