"""The engine: everything that sends, and the schemathesis binding. Where and as whom a run aims (`aim`: the one
resolution of both doors), the target (`targets`), where the challenges are read (`challenges`), the one adapter
every request goes through (`sender`, `ratelimit`, `routing`), the schema (`schema`), its phases run (`phases`) and
what their events say (`events`), the first list (`first_list`), the ledger of created ownerships and the cleanup
(`ownerships`), Ctrl-C during a run (`signals`), the generated data (`data`, `profiles`), and what reads the target
on behalf of the judges (`listing`, `quiet`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.engine.aim import Aimed, checked_accounts, checked_seconds, resolve_aim
    from pcaps_contract.engine.challenges import (
        Bucket,
        BucketSource,
        ChallengeSource,
        MockRouteSource,
        challenge_source,
        parse_bucket,
    )
    from pcaps_contract.engine.connection import SERVED_ORIGIN, Connection, RunSettings
    from pcaps_contract.engine.data import (
        as_the_server_reads,
        destination_confs,
        made_up_challenges,
        ownership_challenges,
    )
    from pcaps_contract.engine.events import RunState, split_message
    from pcaps_contract.engine.first_list import preflight
    from pcaps_contract.engine.listing import Fetch, read_whole_listing
    from pcaps_contract.engine.ownerships import (
        CleanupRegistry,
        CleanupResult,
        Leftover,
        clean_up_in_time,
        created_by,
        id_problem,
        shown_id,
        text_problem,
        track_created,
    )
    from pcaps_contract.engine.phases import engine_task
    from pcaps_contract.engine.profiles import CI_SEED, Profile, get_profile
    from pcaps_contract.engine.quiet import Quiet
    from pcaps_contract.engine.ratelimit import MAX_RATE, Rate, RateLimiter, RetryPolicy, parse_rate
    from pcaps_contract.engine.routing import routed
    from pcaps_contract.engine.schema import OWN_PHASES, STATEFUL, build_schema, judge_builtin
    from pcaps_contract.engine.sender import (
        INTERRUPTED,
        AnyOf,
        Cancelled,
        Halt,
        PoliteAdapter,
        ResponseLimits,
        SendStats,
        Throttled,
        last_answer_seconds,
        polite_session,
        went_unanswered,
    )
    from pcaps_contract.engine.signals import stop_on_signals
    from pcaps_contract.engine.targets import (
        MOCK_ACCOUNTS,
        Target,
        TargetName,
        open_target,
    )

__all__ = [
    "CI_SEED",
    "INTERRUPTED",
    "MAX_RATE",
    "MOCK_ACCOUNTS",
    "OWN_PHASES",
    "SERVED_ORIGIN",
    "STATEFUL",
    "Aimed",
    "AnyOf",
    "Bucket",
    "BucketSource",
    "Cancelled",
    "ChallengeSource",
    "CleanupRegistry",
    "CleanupResult",
    "Connection",
    "Fetch",
    "Halt",
    "Leftover",
    "MockRouteSource",
    "PoliteAdapter",
    "Profile",
    "Quiet",
    "Rate",
    "RateLimiter",
    "ResponseLimits",
    "RetryPolicy",
    "RunSettings",
    "RunState",
    "SendStats",
    "Target",
    "TargetName",
    "Throttled",
    "as_the_server_reads",
    "build_schema",
    "challenge_source",
    "checked_accounts",
    "checked_seconds",
    "clean_up_in_time",
    "created_by",
    "destination_confs",
    "engine_task",
    "get_profile",
    "id_problem",
    "judge_builtin",
    "last_answer_seconds",
    "made_up_challenges",
    "open_target",
    "ownership_challenges",
    "parse_bucket",
    "parse_rate",
    "polite_session",
    "preflight",
    "read_whole_listing",
    "resolve_aim",
    "routed",
    "shown_id",
    "split_message",
    "stop_on_signals",
    "text_problem",
    "track_created",
    "went_unanswered",
]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
