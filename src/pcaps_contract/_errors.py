"""The toolkit's error types: one root, a few children, each carrying a sentence a person can act on."""

from __future__ import annotations


class PcapsContractError(Exception):
    """Root of every error the toolkit raises on purpose; the CLI prints it as one sentence, exit code 2."""


class UsageError(PcapsContractError):
    """A command was called with arguments or settings that cannot work together."""


class SpecError(PcapsContractError):
    """The OpenAPI spec cannot be read or is not a usable OpenAPI document."""
