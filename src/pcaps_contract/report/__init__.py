"""Report writers: the command line a report shows, the documented responses a run saw, CTRF."""

from __future__ import annotations

from pcaps_contract.report.command_line import shown_command
from pcaps_contract.report.ctrf import ctrf_document, write_ctrf
from pcaps_contract.report.responses import Covered, coverage

__all__ = ["Covered", "coverage", "ctrf_document", "shown_command", "write_ctrf"]
