"""The fuzz run's event log: the one every command writes (`_eventlog`)."""

from pcaps_contract._eventlog import EventLog

__all__ = ["EventLog"]
