"""One side of a comparison: its target, credentials and accounts, its sender, and what it created.

Each side is resolved as `check` resolves its target (`gate.resolve_options`: the refusals of `_urls`, the bundled
mock in-process when no target is given) from the environment variables of its own suffix, and talks through an
`engine.Connection` (the polite sender over a network: rate limit, timeouts, body caps, 429 waited out). Every
answer is judged by a passive judge of its own, so a divergence where one side breaks the contract says which.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pcaps_contract._credentials import ACCOUNT_ENV, API_KEY_ENV, EMAIL_ENV, TOKEN_ENV, Credentials
from pcaps_contract._json import parsed_or_none
from pcaps_contract._urls import api_path
from pcaps_contract.compare.normalize import Roles
from pcaps_contract.engine import CleanupResult, created_by
from pcaps_contract.openapi import api
from pcaps_contract.passive import Recorded
from pcaps_contract.report import FailureFound

if TYPE_CHECKING:
    import threading

    from pcaps_contract.engine import ChallengeSource, Connection
    from pcaps_contract.gate import GateOptions
    from pcaps_contract.judge import Failure
    from pcaps_contract.openapi import Spec
    from pcaps_contract.passive import PassiveJudge
    from pcaps_contract.report import Event

# The environment variables a side reads: side A the names every Cloudflare tool reads, the others these + suffix.
SIDE_VARIABLES = (TOKEN_ENV, EMAIL_ENV, API_KEY_ENV, ACCOUNT_ENV)
SUFFIXES = {"A": "", "B": "_B", "noise": "_NOISE"}


def side_environ(environ: Mapping[str, str], suffix: str) -> dict[str, str]:
    """The side's own variables under the names `resolve_options` reads: never another side's secrets."""
    return {name: environ[name + suffix] for name in SIDE_VARIABLES if name + suffix in environ}


def variable_names(credentials: Credentials, suffix: str) -> tuple[tuple[str | None, str], ...]:
    """Each secret of a side with the variable it is shown as (`$CLOUDFLARE_API_TOKEN_B` for side B's token)."""
    return (
        (credentials.token, f"${TOKEN_ENV}{suffix}"),
        (credentials.email, f"${EMAIL_ENV}{suffix}"),
        (credentials.api_key, f"${API_KEY_ENV}{suffix}"),
        *((secret, variable) for secret, variable in credentials.others),
    )


@dataclass
class Sent:
    """One request of a side and what came of it: the exchange (None: no answer), why not, the checks it broke."""

    method: str
    url: str
    body: bytes | None
    recorded: Recorded | None = None
    error: str | None = None
    broken: list[Failure] = field(default_factory=list)
    skipped: str | None = None

    @property
    def status(self) -> int | None:
        return self.recorded.status if self.recorded is not None else None


class Side:
    """A target the comparison sends every case to, with its own ids, cleanup and contract verdicts."""

    def __init__(self, name: str, options: GateOptions, spec: Spec, interrupt: threading.Event) -> None:
        from pcaps_contract.engine import CleanupRegistry, Connection, open_target
        from pcaps_contract.passive import PassiveJudge

        self.name = name
        self.suffix = SUFFIXES.get(name, "")
        self.options = options
        # Opened once, as `check` opens its target when the run starts (an app imported, the bundled mock built).
        self.target = open_target(options.target, options.credentials, options.accounts)
        self.connection: Connection = Connection(options, self.target, interrupt)
        self.registry = CleanupRegistry()
        self.judge: PassiveJudge = PassiveJudge(spec, listener=self._told, clock_skew=options.clock_skew)
        self.account = options.accounts[0]
        self.source: ChallengeSource | None = None
        self.statuses: Counter[int] = Counter()
        self.sent = 0
        self._broken: list[Failure] = []
        self.roles = Roles()
        self.added: dict[str, float] = {}  # role -> when its add was answered (time.monotonic)

    @property
    def description(self) -> str:
        return self.options.target.description

    @property
    def base_url(self) -> str:
        return self.options.target.base_url

    def open(self) -> None:
        """Start the side's clock and list each account once (`gate` preflight): a side that cannot be judged as
        given stops the comparison with one sentence (TargetError)."""
        from pcaps_contract.engine import challenge_source, preflight

        connection = self.connection
        connection.__enter__()
        advertised = preflight(self.target, self.options.accounts, connection.client, connection.errors, self.registry)
        self.source = challenge_source(self.target, connection.client) or connection.served_mock_source(advertised)

    def close(self) -> CleanupResult:
        """Delete what the side created (a served side: an in-process app's state goes with it); the leftovers."""
        try:
            if self.options.target.in_process:
                return CleanupResult()
            return self.connection.clean_up(self.registry)
        finally:
            self.connection.__exit__(None, None, None)

    @property
    def halted(self) -> str | None:
        """Why the side's target could not be judged any more (it stopped answering, or asked for a wait the budget
        cannot afford), or None: the comparison's verdict then, whatever it found before."""
        error = self.connection.halt.error
        return str(error) if error is not None else None

    @property
    def stopped(self) -> str | None:
        """Why the side may send no more (the target halted, interrupted, --max-time spent), or None."""
        connection = self.connection
        return self.halted or (connection.stop.reason() if connection.stop.is_set() else None)

    def path(self, *segments: str, account: str | None = None) -> str:
        return self.base_url + api_path("accounts", account or self.account, "pcaps", "ownership", *segments)

    def send(self, method: str, url: str, body: bytes | None, deleting: str | None = None) -> Sent:
        """One request through the side's sender, judged by its passive judge; never raises for a lost answer."""
        headers = dict(self.options.credentials.headers())
        if body is not None:
            headers["Content-Type"] = "application/json"
        sent = Sent(method, url, body)
        client = self.connection.client
        started = time.time()
        self.judge.begin(method, url, body or b"", started)
        try:
            if self.connection.adapter is None:  # an in-process app's httpx client
                response = client.request(method, url, content=body, headers=headers)
            else:
                response = client.request(method, url, data=body, headers=headers)
        except self.connection.errors as exc:
            self.judge.lost(method, url, body or b"")
            sent.error = f"no answer ({type(exc).__name__})"
            self._expect(method, url, body or b"")
            return sent
        ended = time.time()
        self.sent += 1
        self.statuses[response.status_code] += 1
        sent.recorded = Recorded(
            method=method,
            url=url,
            request_headers=tuple(headers.items()),
            request_body=body or b"",
            status=response.status_code,
            response_headers=tuple((str(name), str(value)) for name, value in response.headers.items()),
            response_body=bytes(response.content),
            started=started,
            ended=ended,
        )
        self._track(sent.recorded, deleting)
        self._broken = []
        self.judge.feed(sent.recorded)
        sent.broken, self._broken = self._broken, []
        return sent

    def window(self, sent: Sent) -> tuple[datetime | None, datetime | None]:
        if sent.recorded is None:
            return None, None
        return (
            datetime.fromtimestamp(sent.recorded.started, UTC),
            datetime.fromtimestamp(sent.recorded.ended, UTC),
        )

    def challenge(self, role: str, conf: str, ownership_id: str, filename: str) -> str | None:
        """The challenge this side delivered for the record of `role`, or None when it cannot be read."""
        if self.source is None or not self.source.covers(conf):
            return None
        return self.source.challenge(self.account, ownership_id, conf, filename, self.added.get(role, 0.0)).content

    def _track(self, recorded: Recorded, deleting: str | None) -> None:
        created = created_by(recorded.method, recorded.url, recorded.status, recorded.response_body)
        if created is not None:
            self.registry.track(created[0], created[1])
        elif recorded.status < 400 or recorded.status >= 500:
            self._expect(recorded.method, recorded.url, recorded.request_body)
        if deleting is not None and recorded.status in (200, 204, 404):
            self.registry.forget(self.account, deleting)

    def _expect(self, method: str, url: str, body: bytes) -> None:
        """An add whose answer names no id (none, a 5xx, or a 2xx of another shape) may have created a record all the
        same: the cleanup looks for it by its bucket (`CleanupRegistry.expect`)."""
        if method != "POST" or url != self.path():
            return
        document = parsed_or_none(body)
        conf = document.get("destination_conf") if isinstance(document, dict) else None
        if isinstance(conf, str):
            self.registry.expect(self.account, conf)

    def _told(self, event: Event) -> None:
        if isinstance(event, FailureFound):
            self._broken.append(event.failure)


def operation_url(side: Side, operation: str, ownership_id: str | None = None, account: str | None = None) -> str:
    """The URL of an operation on the side's account (or `account`; `ownership_id` for a delete)."""
    if operation == api.DELETE:
        return side.path(ownership_id or "", account=account)
    if operation == api.VALIDATE:
        return side.path("validate", account=account)
    return side.path(account=account)
