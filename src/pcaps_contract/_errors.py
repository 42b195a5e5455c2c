"""The toolkit's error types: one root, a few children, each carrying a sentence a person can act on."""

from __future__ import annotations

# The exit codes every command shares: 0 judged and found nothing wrong, 1 findings (contract violations, breaking
# changes, lint findings), 2 could not judge (one of the errors below, or a usage error).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class PcapsContractError(Exception):
    """Root of every error the toolkit raises on purpose; the CLI prints it as one sentence, exit code 2."""


class UsageError(PcapsContractError):
    """A command was called with arguments or settings that cannot work together."""


class SpecError(PcapsContractError):
    """The OpenAPI spec cannot be read or is not a usable OpenAPI document."""
