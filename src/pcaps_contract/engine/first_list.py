"""Before anything is written: list each account once, so that a wrong target stops the run with one sentence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pcaps_contract._text import clip
from pcaps_contract.engine.challenges import advertises_challenges
from pcaps_contract.engine.ownerships import CleanupRegistry, listed
from pcaps_contract.engine.sender import Cancelled, TargetStoppedAnswering, Throttled, ThrottledBeyondBudget
from pcaps_contract.engine.targets import Target, TargetError
from pcaps_contract.judge import checks
from pcaps_contract.openapi import api, ownerships_path


def preflight(
    target: Target,
    accounts: Sequence[str],
    client: Any,
    errors: tuple[type[Exception], ...],
    registry: CleanupRegistry | None = None,
) -> bool:
    """List each account once: an unreachable target, refused credentials or a wrong base path stop the run.

    Answers whether every list advertised the bundled mock's challenge route (`challenges.advertises_challenges`).

    `client` is anything with `get(url)` (a run's polite session, or an in-process app's client); `errors` are
    the transport errors it raises. The ids each account already holds go to `registry`: the cleanup never
    touches them.

    Raises:
        TargetError: the target cannot be judged as given, in one sentence saying what to check.
    """
    advertised = True
    for account in accounts:
        url = target.base_url + ownerships_path(account)
        try:
            response = client.get(url)
        except TargetStoppedAnswering as halted:
            raise TargetError(
                f"cannot reach {target.description} ({halted}); check --base-url and that it runs."
            ) from None
        except ThrottledBeyondBudget as halted:
            raise TargetError(
                f"{target.description} could not be judged: {halted}; wait for its rate limit to reset, then run again."
            ) from None
        except Cancelled as stopped:
            raise TargetError(f"the run stopped during the preflight: {stopped}.") from None
        except Throttled:
            raise TargetError(
                f"{target.description} answered 429 to every try of the preflight; wait for its rate limit "
                "to reset (Retry-After) or lower --rate-limit, then run again."
            ) from None
        except errors as exc:
            raise TargetError(
                f"cannot reach {target.description} ({type(exc).__name__}: {clip(str(exc), 120)}); "
                "check --base-url and that it runs."
            ) from None
        if response.status_code in (401, 403):
            raise TargetError(
                f"{target.description} answered {response.status_code} listing account {account}: "
                "the credentials are refused there; check the token (or email and key) and --account-id."
            )
        answer = checks.Exchange(api.LIST, "GET", url, response.status_code, response.content)
        if answer.is_no_route:
            shape = "an error in the API's envelope" if answer.in_envelope else "not an answer of the API"
            raise TargetError(
                f"{target.description} answered 404 to GET {ownerships_path(account)} ({shape}), which the API "
                "answers 200 for an account of these credentials: does --base-url end in /client/v4?"
            )
        if registry is not None and response.status_code == 200:
            registry.existed_before(account, {str(record.get("id")) for record in listed(response.content)})
        advertised = advertised and advertises_challenges(response.headers)
    return advertised
