"""The gate inside schemathesis: the schema aimed at the target, our data hooks, our checks registered, exchanges.

Our response checks are registered as schemathesis check classes: each run's tolerances reach them through the
schema's own configuration (`checks.<name>.clock_skew`), so concurrent runs with different options never share
state.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from pcaps_contract._text import clip
from pcaps_contract.engine.data import destination_confs, pinned_account
from pcaps_contract.engine.sender import window_of
from pcaps_contract.judge import DISABLED_BUILTINS, checks

if TYPE_CHECKING:
    from pcaps_contract._credentials import Credentials
    from pcaps_contract.engine.challenges import Bucket
    from pcaps_contract.engine.profiles import Profile
    from pcaps_contract.engine.targets import Target, TargetName
    from pcaps_contract.openapi import Spec


# The phases of one engine run: an operation's own (examples, coverage, fuzzing), or the stateful phase over all.
OWN_PHASES = ("examples", "coverage", "fuzzing")
STATEFUL = ("stateful",)


class Aim(Protocol):
    """What the schema reads of a run's resolved options: where, as whom, with which budget and tolerance."""

    @property
    def target(self) -> TargetName: ...

    @property
    def credentials(self) -> Credentials: ...

    @property
    def accounts(self) -> tuple[str, ...]: ...

    @property
    def bucket(self) -> Bucket | None: ...

    @property
    def max_examples(self) -> int | None: ...

    @property
    def timeout(self) -> float: ...

    @property
    def clock_skew(self) -> timedelta: ...


def build_schema(
    spec: Spec,
    options: Aim,
    profile: Profile,
    seed: int,
    phases: tuple[str, ...] = (*OWN_PHASES, *STATEFUL),
    *,
    target: Target | None = None,
) -> Any:
    """The schemathesis schema of the spec, aimed at the target, with our data hooks, checks and budget.

    Only `phases` run on it; each engine run of the gate is one worker (the gate runs engines side by side).
    `target` is the run's opened target (`open_target`): every schema of a run aims at the one app, whose state
    they share; None opens the options' target for this schema alone.
    """
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    from pcaps_contract.engine.targets import open_target

    register_checks()
    skew = {"clock_skew": options.clock_skew.total_seconds()}
    config = SchemathesisConfig.from_dict(
        {
            "seed": seed,
            "cache": {"enabled": False},
            "headers": options.credentials.headers(),
            "workers": 1,
            "generation": {
                "max-examples": options.max_examples or profile.max_examples,
                "database": "none",
                "deterministic": profile.derandomize,
                "no-shrink": not profile.shrink,
            },
            "phases": {
                **{name: {"enabled": name in phases} for name in (*OWN_PHASES, *STATEFUL)},
                # Only the spec's own links: an inferred list -> delete link would delete what the lifecycle's
                # lanes hold while they judge it (they run side by side with this phase).
                "stateful": {
                    "enabled": "stateful" in phases,
                    "max-steps": profile.stateful_steps,
                    "inference": {"algorithms": ["location-headers"]},
                },
            },
            "checks": {
                **{name: {"enabled": False} for name in DISABLED_BUILTINS},
                **{name: skew for name in checks.RESPONSE_CHECKS},
            },
            # One failing check must not stop the others on an operation: every cell is judged on its own.
            "continue-on-failure": True,
            "request-timeout": options.timeout,
        }
    )
    schema = schemathesis.openapi.from_dict(handed_over(spec), config=config)
    opened = target or open_target(options.target, options.credentials, options.accounts)
    if opened.in_process:
        schema.app = opened.app
    else:
        schema.config.update(base_url=opened.base_url)
    _add_data_hooks(schema, spec, options.accounts, options.bucket.uri if options.bucket is not None else None)
    return schema


def handed_over(spec: Spec) -> dict[str, Any]:
    """A copy of the spec as `openapi.documents` read it: schemathesis never reads the file, nor a `$ref` out of it."""
    return copy.deepcopy(spec.document)


def _add_data_hooks(schema: Any, spec: Spec, accounts: tuple[str, ...], bucket: str | None = None) -> None:
    """Pin `account_id` on every case whose account is valid; give positive fuzzed bodies real bucket URIs.

    With `bucket` (`--bucket`), every positive body of every phase names that bucket: a server that writes
    the challenge into the bucket rightly refuses buckets that do not exist.
    """
    from hypothesis import strategies as st
    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.generation.meta import TestPhase

    bodies = {
        operation.operation_id: f"{operation.pointer}/requestBody/content/application~1json/schema"
        for operation in spec.operations()
        if "requestBody" in operation.definition
    }

    def pinned(case: Any) -> tuple[Any, Any]:
        """The path parameters and body `pin_account` makes of `case`, without changing it."""
        parameters, body = case.path_parameters, case.body
        if parameters and "account_id" in parameters:
            parameters = {**parameters, "account_id": pinned_account(parameters["account_id"], accounts)}
        if bucket is not None and _positive_body(case):
            body = {**body, "destination_conf": bucket}
        return parameters, body

    sent: set[str] = set()

    @schema.hook("filter_case")  # type: ignore[untyped-decorator]
    def once_per_positive_request(context: Any, case: Any) -> bool:
        # The coverage phase's valid variants of one value (four valid `account_id`s, two sets of optional headers)
        # become one request once pinned: sent again, it is judged by the same checks on the same request, so
        # only its first copy goes. Only there: that phase's cases are a fixed list, so dropping one changes no
        # draw, whatever the answers or workers; a negative case is kept whole (its checks read which part broke).
        meta = case.meta
        if meta is None or meta.phase.name != TestPhase.COVERAGE or meta.generation.mode.is_negative:
            return True
        parameters, body = pinned(case)
        headers = dict(case.headers or {})
        request = [case.method, case.path, parameters, case.query, headers, case.cookies, body, case.media_type]
        key = json.dumps(request, sort_keys=True, default=repr)
        if key in sent:
            return False
        sent.add(key)
        return True

    @schema.hook("map_case")  # type: ignore[untyped-decorator]
    def pin_account(context: Any, case: Any) -> Any:
        parameters, body = pinned(case)
        if parameters is not case.path_parameters:
            case.path_parameters["account_id"] = parameters["account_id"]
        if body is not case.body:
            case.body = body
        return case

    if bucket is not None:

        @schema.hook("before_add_examples")  # type: ignore[untyped-decorator]
        def examples_name_the_bucket(context: Any, examples: list[Any]) -> None:
            # The examples phase skips `map_case`: its positive bodies get the bucket here.
            for case in examples:
                if _positive_body(case):
                    case.body = {**case.body, "destination_conf": bucket}

    def _positive_body(case: Any) -> bool:
        pointer = bodies.get(case.operation.definition.raw.get("operationId"))
        meta = case.meta
        return (
            pointer is not None
            and isinstance(case.body, dict)
            and not (meta is not None and meta.is_negative_at(ParameterLocation.BODY))
            and not spec.errors(pointer, case.body)
        )

    @schema.hook("flatmap_case")  # type: ignore[untyped-decorator]
    def realistic_buckets(context: Any, case: Any) -> Any:
        pointer = bodies.get(case.operation.definition.raw.get("operationId"))
        meta = case.meta
        if (
            pointer is None
            or meta is None
            or meta.phase.name != TestPhase.FUZZING
            or bucket is not None  # already named in every positive body by `pin_account`
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


_REGISTERED = threading.Lock()
_registered = False


def register_checks() -> None:
    """Register each response check of `judge.checks` with schemathesis, once per process."""
    global _registered
    import schemathesis

    with _REGISTERED:
        if _registered:
            return
        for name, check in checks.RESPONSE_CHECKS.items():
            schemathesis.check(_check_class(name, check))
        _registered = True


def _check_class(name: str, check: checks.ResponseCheck) -> type:
    """A schemathesis check class named `name` that judges each response with `check`."""

    def __init__(self: Any, clock_skew: float = checks.DEFAULT_CLOCK_SKEW.total_seconds()) -> None:
        self.policy = checks.Policy(clock_skew=timedelta(seconds=clock_skew))

    def after_response(self: Any, ctx: Any, response: Any, case: Any) -> bool | None:
        verdict = check(exchange_from(response, case), self.policy)
        # Schemathesis reads True as "the check did not apply" and None as "it held".
        return True if verdict is checks.Verdict.OUT_OF_SCOPE else None

    return type(name, (), {"__init__": __init__, "after_response": after_response, "__doc__": check.__doc__})


def exchange_from(response: Any, case: Any) -> checks.Exchange:
    """A schemathesis response (and the case that produced it) as an `Exchange`.

    Its time window is the one the sender measured for the request (none for a target served in-process, whose
    requests never reach the sender: the rules that need a window are then judged by the lifecycle alone).
    """
    request = response.request
    sent_at, read_at = window_of(request)
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
        sent_at=sent_at,
        read_at=read_at,
    )


def judge_builtin(spec: Spec, operation_id: str, check: str, request: Mapping[str, Any], response: Any) -> None:
    """A schemathesis built-in check on one response (an httpx response) to a request sent again.

    Checks that judge generated data by its mode (negative or positive) are judged by the status codes their
    configuration accepts. Raises AssertionError (`Expected:` / `Received:`) when the check fails.
    """
    import schemathesis
    from schemathesis.checks import CHECKS, load_all_checks
    from schemathesis.core.failures import FailureGroup

    schema = schemathesis.openapi.from_dict(handed_over(spec))
    operation = schema.find_operation_by_id(operation_id)
    config = schema.config.checks_config_for()
    status = response.status_code
    if check in ("negative_data_rejection", "positive_data_acceptance"):
        section = getattr(config, check)
        allowed = {str(code) for code in (section.expected_statuses or [])}
        if not ({str(status), f"{status // 100}XX"} & allowed):
            raise AssertionError(f"Expected: one of {', '.join(sorted(allowed))}\nReceived: status {status}")
        return
    case = operation.Case(path_parameters=dict(request.get("path_parameters") or {}), query=request.get("query"))
    try:
        load_all_checks()
        case.validate_response(response, checks=[CHECKS.get_one(check)])  # type: ignore[list-item]
    except FailureGroup as group:
        found = "\n\n".join(str(failure) for failure in group.exceptions)
        raise AssertionError(f"{found}\nReceived: status {status}: {clip(response.text, 200)}") from None
