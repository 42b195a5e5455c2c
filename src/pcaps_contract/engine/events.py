"""What schemathesis's events say, into the run's ledger: verdicts, answers seen, errors, the failures with their
steps (`phases` runs the engine whose events these are)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from pcaps_contract._credentials import carries_credentials
from pcaps_contract._internal import cause_of
from pcaps_contract._text import clip
from pcaps_contract.engine.ownerships import CleanupRegistry
from pcaps_contract.engine.sender import Cancelled, Throttled
from pcaps_contract.judge import BUILTIN_EXPECTATIONS, Failure, Ledger, Step, answer_kind

if TYPE_CHECKING:
    from pcaps_contract.engine.sender import AnyOf


@dataclass
class RunState:
    """Mutable state of one run, filled by the engine's events and the lifecycle machine."""

    ledger: Ledger
    registry: CleanupRegistry = field(default_factory=CleanupRegistry)
    statuses: Counter[int] = field(default_factory=Counter)
    answers: dict[str, Counter[str]] = field(default_factory=dict)  # by operation, each by kind (`judge.real_answers`)
    errors: list[str] = field(default_factory=list)
    throttled: int = 0
    stopped: str | None = None
    redact: Callable[[str], str] = str  # the run's secrets out of any text, before it is cut
    delivered_validations: int = 0  # validations with the delivered challenge the lifecycle judged
    source_problem: str | None = None  # why the challenge source could not read a challenge, last time
    unsettled: str | None = None  # why a validation's outcome was not judged: it stayed `pending` (`judge.validation`)
    internal: str | None = None  # the first error of the toolkit itself (ours or a library's), as `_internal.cause_of`
    lock: threading.RLock = field(default_factory=threading.RLock)  # engines side by side record into it
    phase: str = ""  # the schemathesis phase of the latest scenario, and the cases so far: for the progress display
    cases: int = 0
    probes: list[dict[str, str]] = field(default_factory=list)  # the enumerated probes and whether each was judged


def record_events(stream: Any, stop: AnyOf, run: RunState) -> None:
    """Each event of the engine into `run`; stops the engine when `stop` is set (the sender's halt is one of its
    events: a target that stopped answering ends every engine at once)."""
    from schemathesis.engine import Status, events

    for event in stream:
        with run.lock:
            _record(event, run, events, Status)
        if stop.is_set():
            stream.stop()


def _record(event: Any, run: RunState, events: Any, status: Any) -> None:
    if isinstance(event, events.ScenarioFinished):
        run.phase, run.cases = str(event.phase.value), run.cases + len(event.recorder.cases)
        _record_scenario(event.recorder, run, status)
    elif isinstance(event, events.NonFatalError):
        _record_error(event.value, f"{event.label}: {event.info.title}: {event.info.message}", run)
    elif isinstance(event, events.FatalError):
        _record_error(event.exception, f"schemathesis stopped: {event.exception}", run)
    elif isinstance(event, events.EngineFinished):
        run.errors.extend(str(failure.title) for failure in event.failures)


def _record_error(error: BaseException, text: str, run: RunState) -> None:
    """An error of the engine: a throttled or cut-short request is counted; a request without an answer means
    "could not judge"; anything else is an internal error (a check, schemathesis or Hypothesis broke down)."""
    cause = error.__cause__ or error.__context__
    if isinstance(error, Throttled) or isinstance(cause, Throttled):
        run.throttled += 1
    elif isinstance(error, Cancelled) or isinstance(cause, Cancelled):
        why = error if isinstance(error, Cancelled) else cause
        run.stopped = run.stopped or f"schemathesis's phases stopped early: {why}"
    else:
        # A request the target did not answer is the sender's to judge (its halt); anything else is ours.
        if not (isinstance(error, requests.RequestException) or isinstance(cause, requests.RequestException)):
            run.internal = run.internal or cause_of(error, run.redact)
        run.errors.append(clip(text.splitlines()[0] if text else type(error).__name__, 300))


def _operation_of(case: Any) -> str:
    """The operationId of a schemathesis case (its label, for an operation without one)."""
    return str(case.operation.definition.raw.get("operationId") or case.operation.label)


def _record_scenario(recorder: Any, run: RunState, status_enum: Any) -> None:
    for case_id, interaction in recorder.interactions.items():
        if interaction.response is not None:
            run.statuses[interaction.response.status_code] += 1
            node = recorder.cases.get(case_id)
            # Only a request of the operation's own method answers it (a check's probe with another one does not).
            if node is not None and interaction.request.method.lower() == node.value.operation.method.lower():
                answered = _operation_of(node.value)
                kind = answer_kind(answered, interaction.response.status_code, interaction.response.content)
                run.answers.setdefault(answered, Counter())[kind] += 1
    for case_id, nodes in recorder.checks.items():
        case_node = recorder.cases.get(case_id)
        if case_node is None:
            continue
        case = case_node.value
        operation = _operation_of(case)
        interaction = recorder.interactions.get(case_id)
        # Each check judged this case's answer: the time the target took for it counts in each check's cell.
        seconds = interaction.response.elapsed if interaction is not None and interaction.response else 0.0
        for node in nodes:
            if node.status == status_enum.SUCCESS:
                run.ledger.passed(operation, node.name, seconds)
            elif node.status == status_enum.FAILURE and node.failure_info is not None:
                run.ledger.failed(_failure(operation, node, recorder, case_id, run.redact), seconds)


def _failure(operation: str, node: Any, recorder: Any, case_id: str, redact: Callable[[str], str]) -> Failure:
    failure = node.failure_info.failure
    interaction = recorder.interactions.get(case_id)
    status = interaction.response.status_code if interaction is not None and interaction.response else None
    # Redacted before `split_message` cuts anything: a cut must never leave part of a secret behind.
    title, message = redact(str(failure.title)), redact(str(failure.message or ""))
    expected, received = split_message(node.name, title, message, status)
    chain = [case_id]
    parent = recorder.cases[case_id].parent_id
    while parent is not None and len(chain) < 6:
        chain.append(parent)
        parent = recorder.cases[parent].parent_id if parent in recorder.cases else None
    steps = tuple(
        _step(recorder.interactions[item].request) for item in reversed(chain) if item in recorder.interactions
    )
    return Failure(operation, node.name, expected, received, steps)


def _step(request: Any) -> Step:
    headers = {key: values[0] if isinstance(values, list) else values for key, values in request.headers.items()}
    body = request.body.decode("utf-8", "replace") if request.body else None
    return Step(request.method, request.uri, headers, body, carries_credentials(headers))


def split_message(check: str, title: str, message: str, status: int | None) -> tuple[str, str]:
    """Expected and Received of a schemathesis failure (built-ins often write `Expected:` themselves)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    expected = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Expected:")), None)
    received = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Received:")), None)
    if expected is None:
        expected = BUILTIN_EXPECTATIONS.get(check, title.rstrip("."))
    if received is None:
        detail = " ".join([title.rstrip(".") + ":", *(line for line in lines if not line.startswith("Expected:"))])
        received = f"status {status}; {clip(detail, 300)}" if status is not None else clip(detail, 300)
    return expected, received
