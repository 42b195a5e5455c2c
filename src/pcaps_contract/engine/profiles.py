"""The gate's profiles, registered in one place: how many cases each phase draws, and whether runs repeat."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, settings

from pcaps_contract._errors import UsageError

DEFAULT_PROFILE = "quick"
CI_SEED = 20261126


@dataclass(frozen=True)
class Profile:
    """A budget for one gate run.

    Args:
        name: the name given to `--profile` (and the Hypothesis settings profile `pcaps-<name>`).
        max_examples: cases per operation in the fuzzing phase (also the stateful phase's scenarios).
        stateful_steps: the most calls in one schemathesis link scenario.
        lifecycle_examples: runs of the model-based lifecycle machine.
        lifecycle_steps: the most rules in one run of the lifecycle machine.
        derandomize: the same cases on every run (a fixed seed unless `--seed` is given).
        shrink: let schemathesis minimise a failing case before reporting it (slow on stateful failures).
    """

    name: str
    max_examples: int
    stateful_steps: int
    lifecycle_examples: int
    lifecycle_steps: int
    derandomize: bool
    shrink: bool = False

    @property
    def hypothesis_profile(self) -> str:
        return f"pcaps-{self.name}"

    def lifecycle_settings(self) -> settings:
        """The Hypothesis settings of the lifecycle machine under this profile."""
        return settings.get_profile(self.hypothesis_profile)


PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            "quick", max_examples=10, stateful_steps=5, lifecycle_examples=15, lifecycle_steps=12, derandomize=False
        ),
        Profile("ci", max_examples=10, stateful_steps=5, lifecycle_examples=15, lifecycle_steps=12, derandomize=True),
        Profile(
            "thorough",
            max_examples=150,
            stateful_steps=15,
            lifecycle_examples=60,
            lifecycle_steps=30,
            derandomize=False,
            shrink=True,
        ),
    )
}

for _profile in PROFILES.values():
    settings.register_profile(
        _profile.hypothesis_profile,
        max_examples=_profile.lifecycle_examples,
        stateful_step_count=_profile.lifecycle_steps,
        derandomize=_profile.derandomize,
        deadline=None,  # a remote server's latency is not the property under test
        database=None,  # runs must not depend on (or write) an example database
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        # Verdicts are recorded, never raised, so only a lost target fails a run: shrinking that would only retry.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        print_blob=False,
    )


def get_profile(name: str | None) -> Profile:
    """The profile with this name (the quick default when None)."""
    try:
        return PROFILES[name or DEFAULT_PROFILE]
    except KeyError:
        raise UsageError(f"no profile `{name}`; use one of {', '.join(PROFILES)}.") from None
