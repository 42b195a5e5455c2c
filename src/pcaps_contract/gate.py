"""The contract gate: schemathesis's phases with every applicable built-in check plus ours, then the lifecycle.

Both doors call `run_gate`: `pcaps-contract check` and the `contract_tests/` pytest suite. Reusable parts
for other commands: `build_schema` (spec + target + data hooks), `exchange_from` (a schemathesis response
as a `checks.Exchange`) and `register_checks` (our checks as schemathesis checks).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from pcaps_contract import checks
from pcaps_contract.credentials import Credentials
from pcaps_contract.data import destination_confs, is_identifier
from pcaps_contract.errors import PcapsContractError, UsageError
from pcaps_contract.profiles import CI_SEED, Profile, get_profile
from pcaps_contract.report import Failure, GateReport, Ledger, Step
from pcaps_contract.spec import Spec, load_spec
from pcaps_contract.targets import Target, TargetError
from pcaps_contract.text import clip

# The built-in checks that apply to this API, in report order. Not `max_response_time` (no budget in the
# contract), `response_headers_conformance`/`missing_required_header` (the spec declares no headers),
# `object_level_authorization` (needs a Web Fuzzing Commons peer file; our tenancy checks do that job).
BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
)
_DISABLED_BUILTINS = (
    "response_headers_conformance",
    "missing_required_header",
    "object_level_authorization",
    "allow_header_conformance",
)
ALL_CHECKS = (*BUILTIN_CHECKS, *checks.RESPONSE_CHECKS, *checks.LIFECYCLE_CHECKS, *checks.TENANCY_CHECKS)


# Where the reproductions of an in-process run send their requests: `pcaps-contract mock`'s default address.
SERVED_ORIGIN = "http://127.0.0.1:8787"


class GateError(PcapsContractError):
    """The run could not judge the target (it crashed, or every request was refused)."""


@dataclass(frozen=True)
class GateOptions:
    """One run of the gate.

    Args:
        target: what to judge (see `targets`).
        credentials: sent with every positive request.
        accounts: the accounts the credentials may use; the first one or two are exercised.
        spec_path: the spec (the bundled one when None).
        profile: `quick`, `ci` or `thorough` (see `profiles`).
        seed: the run's seed; None draws one (or the fixed CI seed under `ci`).
        max_examples: cases per operation, overriding the profile's.
        workers: concurrent workers for schemathesis's phases.
        clock_skew: how far ahead of this machine's clock a `submitted` may be.
    """

    target: Target
    credentials: Credentials
    accounts: tuple[str, ...]
    spec_path: Path | None = None
    profile: str | None = None
    seed: int | None = None
    max_examples: int | None = None
    workers: int = 1
    clock_skew: timedelta = checks.DEFAULT_CLOCK_SKEW
    lifecycle: bool = True

    def resolved_profile(self) -> Profile:
        return get_profile(self.profile)

    def resolved_seed(self) -> int:
        if self.seed is not None:
            return self.seed
        return CI_SEED if self.resolved_profile().derandomize else random.randrange(2**31)


@dataclass
class _Run:
    """Mutable state of one run, filled by the engine's events (all on this thread) and the lifecycle machine."""

    ledger: Ledger
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    created: set[tuple[str, str]] = field(default_factory=set)


def run_gate(options: GateOptions) -> GateReport:
    """Judge the target against the spec; the report says what passed, failed or never applied.

    Raises:
        SpecError: the spec cannot be read.
        TargetError: the target is unreachable or refuses the credentials for every account.
        GateError: the run broke down before it could judge.
    """
    if not options.accounts:
        raise UsageError("no account: pass --account-id (or set CLOUDFLARE_ACCOUNT_ID).")
    for account in options.accounts:
        if not is_identifier(account):
            raise UsageError(f"--account-id {account!r} is not an account id (1 to 32 characters, e.g. 32 hex).")
    spec = load_spec(options.spec_path)
    profile = options.resolved_profile()
    seed = options.resolved_seed()
    started = time.monotonic()
    preflight(options)
    operations = [operation.operation_id or operation.label for operation in spec.operations()]
    run = _Run(Ledger(operations, ALL_CHECKS))
    policy = checks.Policy(clock_skew=options.clock_skew)
    schema = build_schema(spec, options, profile, seed)
    register_checks()
    _POLICIES[id(schema)] = policy
    try:
        _run_engine(schema, run)
    finally:
        del _POLICIES[id(schema)]
    if options.lifecycle:
        from pcaps_contract.lifecycle import run_lifecycle

        run.created |= run_lifecycle(options, profile, seed, policy, run.ledger, run.statuses)
    if not options.target.in_process:  # an in-process app's state goes away with it
        clean_up(options, run.created)
    report = GateReport(
        target=options.target.description,
        seed=seed,
        profile=profile.name,
        ledger=run.ledger,
        credentials=options.credentials,
        seconds=time.monotonic() - started,
        requests=sum(run.statuses.values()),
    )
    if len(options.accounts) < 2:
        report.notes.append("tenancy was not judged: give two --account-id values the credentials can use.")
    if options.target.in_process and not report.conforms:
        report.reproduce_origin = SERVED_ORIGIN
        report.notes.append(
            f"the target ran in-process: the reproductions assume it is served at {SERVED_ORIGIN} "
            f"(the bundled mock: `pcaps-contract mock {' '.join('--account ' + a for a in options.accounts)}`)."
        )
    if run.errors and report.conforms:
        raise GateError("the run broke down before it could judge: " + report.redact("; ".join(run.errors[:3])))
    if refused_everywhere(run.statuses):
        raise TargetError(
            f"no request succeeded and most were refused ({status_counts(run.statuses)}); "
            "check the credentials and --account-id."
        )
    return report


def refused_everywhere(statuses: Mapping[int, int]) -> bool:
    """Whether the answers say "wrong credentials" rather than "broken server": no 2xx, mostly 401/403."""
    total = sum(statuses.values())
    refused = statuses.get(401, 0) + statuses.get(403, 0)
    return total > 0 and not any(200 <= status < 300 for status in statuses) and 2 * refused >= total


def preflight(
    options: GateOptions, client: Any = None, errors: tuple[type[Exception], ...] = (httpx.HTTPError,)
) -> None:
    """List each account once: an unreachable target or refused credentials stop the run (exit 2).

    `client` (anything with `get(url)`, e.g. the fuzz run's rate-limited session) replaces the target's own
    client; `errors` are the transport errors it raises.
    """
    target = options.target
    own = target.client(options.credentials.headers(), timeout=15.0) if client is None else nullcontext(client)
    with own as client:
        for account in options.accounts:
            try:
                response = client.get(f"{target.base_url}/accounts/{account}/pcaps/ownership")
            except errors as exc:
                raise TargetError(
                    f"cannot reach {target.description} ({type(exc).__name__}); check --base-url and that it runs."
                ) from None
            if response.status_code in (401, 403):
                raise TargetError(
                    f"{target.description} answered {response.status_code} listing account {account}: "
                    "the credentials are refused there; check the token (or email and key) and --account-id."
                )


def build_schema(spec: Spec, options: GateOptions, profile: Profile, seed: int) -> Any:
    """The schemathesis schema of the spec, aimed at the target, with our data hooks and budget."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    config = SchemathesisConfig.from_dict(
        {
            "seed": seed,
            "cache": {"enabled": False},
            "headers": options.credentials.headers(),
            "workers": options.workers,
            "generation": {
                "max-examples": options.max_examples or profile.max_examples,
                "database": "none",
                "deterministic": profile.derandomize,
                "no-shrink": not profile.shrink,
            },
            "phases": {"stateful": {"max-steps": profile.stateful_steps}},
            "checks": {name: {"enabled": False} for name in _DISABLED_BUILTINS},
        }
    )
    schema = schemathesis.openapi.from_path(spec.path, config=config)
    if options.target.in_process:
        schema.app = options.target.app
    else:
        schema.config.update(base_url=options.target.base_url)
    _add_data_hooks(schema, spec, options.accounts[0])
    return schema


def _add_data_hooks(schema: Any, spec: Spec, account: str) -> None:
    """Pin `account_id` on every case whose account is valid; give positive fuzzed bodies real bucket URIs."""
    from hypothesis import strategies as st
    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.generation.meta import TestPhase

    bodies = {
        operation.operation_id: f"{operation.pointer}/requestBody/content/application~1json/schema"
        for operation in spec.operations()
        if "requestBody" in operation.definition
    }

    @schema.hook("map_case")  # type: ignore[untyped-decorator]
    def pin_account(context: Any, case: Any) -> Any:
        # A valid account id is replaced by the one the credentials can use, so that the case reaches the
        # handler; an invalid one (negative data, e.g. 33 characters) is kept, so that it is still rejected.
        parameters = case.path_parameters
        if parameters and is_identifier(parameters.get("account_id")):
            parameters["account_id"] = account
        return case

    @schema.hook("flatmap_case")  # type: ignore[untyped-decorator]
    def realistic_buckets(context: Any, case: Any) -> Any:
        pointer = bodies.get(case.operation.definition.raw.get("operationId"))
        meta = case.meta
        if (
            pointer is None
            or meta is None
            or meta.phase.name != TestPhase.FUZZING
            or meta.is_negative_at(ParameterLocation.BODY)
            or not isinstance(case.body, dict)
            or spec.errors(pointer, case.body)
        ):
            return st.just(case)

        def with_conf(conf: str | None) -> Any:
            if conf is not None:
                case.body = {**case.body, "destination_conf": conf}
            return case

        return st.one_of(st.none(), destination_confs()).map(with_conf)


# --- our checks inside schemathesis -------------------------------------------------------------------

# The policy of each running schema, by identity (schemathesis schemas compare by value, so no weak map).
_POLICIES: dict[int, checks.Policy] = {}
_REGISTERED = threading.Lock()
_registered = False


def register_checks() -> None:
    """Register each response check of `checks` with schemathesis, once per process."""
    global _registered
    import schemathesis

    with _REGISTERED:
        if _registered:
            return
        for name, check in checks.RESPONSE_CHECKS.items():
            schemathesis.check(_as_schemathesis_check(name, check))
        _registered = True


def _as_schemathesis_check(name: str, check: checks.ResponseCheck) -> Any:
    def schemathesis_check(ctx: Any, response: Any, case: Any) -> bool | None:
        policy = _POLICIES.get(id(case.operation.schema), checks.Policy())
        applied = check(exchange_from(response, case), policy)
        return None if applied else True  # True tells schemathesis the check did not apply

    schemathesis_check.__name__ = name
    schemathesis_check.__doc__ = check.__doc__
    return schemathesis_check


def exchange_from(response: Any, case: Any) -> checks.Exchange:
    """A schemathesis response (and the case that produced it) as an `Exchange`."""
    request = response.request
    body = request.body
    request_body: Any = None
    if body:
        try:
            request_body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            request_body = None
    return checks.Exchange(
        operation_id=case.operation.definition.raw.get("operationId"),
        method=str(request.method),
        url=str(request.url),
        status=response.status_code,
        content=response.content or b"",
        request_body=request_body,
        request_headers=dict(request.headers),
        response_headers={key: ", ".join(values) for key, values in response.headers.items()},
    )


# --- the engine's events into the ledger ---------------------------------------------------------------


def _run_engine(schema: Any, run: _Run) -> None:
    from schemathesis.engine import Status, events, from_schema

    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            _record_scenario(event.recorder, run, Status)
        elif isinstance(event, events.NonFatalError):
            run.errors.append(f"{event.label}: {event.info.title}: {event.info.message.splitlines()[0]}")
        elif isinstance(event, events.FatalError):
            raise GateError(f"schemathesis stopped: {event.exception}") from None
        elif isinstance(event, events.EngineFinished):
            for failure in event.failures:
                run.errors.append(f"{failure.title}")


def _record_scenario(recorder: Any, run: _Run, status_enum: Any) -> None:
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            run.statuses[interaction.response.status_code] += 1
            _remember_created(interaction, run)
    for case_id, nodes in recorder.checks.items():
        case_node = recorder.cases.get(case_id)
        if case_node is None:
            continue
        case = case_node.value
        operation = case.operation.definition.raw.get("operationId") or case.operation.label
        for node in nodes:
            if node.status == status_enum.SUCCESS:
                run.ledger.passed(operation, node.name)
            elif node.status == status_enum.FAILURE and node.failure_info is not None:
                run.ledger.failed(_failure(operation, node, recorder, case_id))


_CREATED_URL = re.compile(r"/accounts/([^/?#]+)/pcaps/ownership/?$")


def _remember_created(interaction: Any, run: _Run) -> None:
    """Note an ownership the run created, so that it can be deleted when the run is over."""
    request, response = interaction.request, interaction.response
    match = _CREATED_URL.search(urlsplit(request.uri).path)
    if request.method != "POST" or response.status_code != 200 or match is None:
        return
    try:
        result = json.loads(response.content).get("result")
    except (ValueError, AttributeError):
        return
    if isinstance(result, dict) and isinstance(result.get("id"), str):
        run.created.add((unquote(match.group(1)), result["id"]))


def clean_up(options: GateOptions, created: set[tuple[str, str]]) -> None:
    """Delete what the run created on a server that outlives it (best effort; nothing is judged here)."""
    target = options.target
    with target.client(options.credentials.headers()) as client:
        for account, ownership_id in sorted(created):
            try:
                client.delete(f"{target.base_url}/accounts/{account}/pcaps/ownership/{ownership_id}")
            except httpx.HTTPError:
                return


def _failure(operation: str, node: Any, recorder: Any, case_id: str) -> Failure:
    failure = node.failure_info.failure
    interaction = recorder.interactions.get(case_id)
    status = interaction.response.status_code if interaction is not None and interaction.response else None
    expected, received = split_message(node.name, str(failure.title), str(failure.message or ""), status)
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
    lowered = {key.lower() for key in headers}
    body = request.body.decode("utf-8", "replace") if request.body else None
    authenticated = bool(lowered & {"authorization", "x-auth-key"})
    return Step(request.method, request.uri, headers, body, authenticated)


# What each built-in check expects, in words, for failures whose message has no `Expected:` line.
BUILTIN_EXPECTATIONS = {
    "not_a_server_error": "a status below 500",
    "status_code_conformance": "a status the spec documents for this operation",
    "content_type_conformance": "a Content-Type the spec documents for this response (application/json)",
    "response_schema_conformance": "a body valid against the spec's schema for this status",
    "negative_data_rejection": "a 4xx for a request that breaks the spec",
    "positive_data_acceptance": "a 2xx (or 401/403/404) for a request the spec allows",
    "ignored_auth": "401 or 403 for a request without valid credentials",
    "unsupported_method": "405 for a method the spec does not declare",
    "use_after_free": "404 for a resource once it was deleted",
    "ensure_resource_availability": "a resource just created to be found by the operations linked to it",
}


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


def status_counts(statuses: Mapping[int, int]) -> str:
    """`200 x12, 404 x3`: how the target answered, for notes and errors."""
    return ", ".join(f"{status} x{count}" for status, count in sorted(statuses.items()))


def resolve_options(
    *,
    base_url: str | None = None,
    app: str | None = None,
    accounts: list[str] | None = None,
    token: str | None = None,
    email: str | None = None,
    api_key: str | None = None,
    environ: Mapping[str, str],
    **settings: Any,
) -> GateOptions:
    """The options of a run from what a person typed (either door) and the environment.

    No target means the bundled mock in-process, which then accepts exactly the given credentials (the
    development token by default) for exactly the given accounts (two fixed ones by default).
    """
    from pcaps_contract.credentials import ACCOUNT_ENV, resolve_credentials
    from pcaps_contract.targets import MOCK_ACCOUNTS, base_url_target, bundled_mock, load_app, mock_credentials

    if base_url and app:
        raise UsageError("give --base-url or --app, not both.")
    chosen = tuple(accounts or [item.strip() for item in environ.get(ACCOUNT_ENV, "").split(",") if item.strip()])
    if base_url or app:
        credentials = resolve_credentials(token, email, api_key, environ)
        target = base_url_target(base_url) if base_url else load_app(app or "")
    else:
        credentials = resolve_credentials(token, email, api_key, environ, default=mock_credentials())
        chosen = chosen or MOCK_ACCOUNTS
        target = bundled_mock(credentials, chosen)
    return GateOptions(target=target, credentials=credentials, accounts=chosen, **settings)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


# The options of both doors (`pcaps-contract check` and `pytest contract_tests`), declared once.
GATE_ARGUMENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--base-url", {"metavar": "URL", "help": "a running server, e.g. http://127.0.0.1:8787/client/v4"}),
    ("--app", {"metavar": "MODULE:ATTR", "help": "an ASGI or WSGI app to load in-process"}),
    (
        "--account-id",
        {
            "dest": "accounts",
            "action": "append",
            "metavar": "ID",
            "help": "an account the credentials can use; twice to judge tenancy (env CLOUDFLARE_ACCOUNT_ID)",
        },
    ),
    ("--token", {"help": "API token (env CLOUDFLARE_API_TOKEN)"}),
    ("--email", {"help": "X-Auth-Email, with --api-key (env CLOUDFLARE_EMAIL)"}),
    ("--api-key", {"help": "X-Auth-Key, with --email (env CLOUDFLARE_API_KEY)"}),
    ("--spec", {"type": Path, "help": "the spec (default: the bundled spec)"}),
    ("--profile", {"choices": ("quick", "ci", "thorough"), "help": "budget: quick (default), ci, thorough"}),
    ("--seed", {"type": int, "help": "seed of the run (printed at the end; reuse it to repeat a run)"}),
    ("--max-examples", {"type": _positive, "metavar": "N", "help": "cases per operation (overrides the profile)"}),
    ("--workers", {"type": _positive, "default": 1, "metavar": "N", "help": "concurrent workers (default 1)"}),
    (
        "--clock-skew",
        {"type": float, "default": 300.0, "metavar": "SECONDS", "help": "how far `submitted` may be ahead (300)"},
    ),
)


def options_from(value: Callable[[str], Any], environ: Mapping[str, str]) -> GateOptions:
    """The options of a run from the parsed `GATE_ARGUMENTS` (`value(dest)` reads one)."""
    return resolve_options(
        base_url=value("base_url"),
        app=value("app"),
        accounts=value("accounts"),
        token=value("token"),
        email=value("email"),
        api_key=value("api_key"),
        environ=environ,
        spec_path=value("spec"),
        profile=value("profile"),
        seed=value("seed"),
        max_examples=value("max_examples"),
        workers=value("workers"),
        clock_skew=timedelta(seconds=value("clock_skew")),
    )
