"""Ctrl-C during a run: the first one asks the run to stop, a second one interrupts."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from pcaps_contract.engine.signals import stop_on_signals


def test_ctrl_c_sets_the_stop_event_instead_of_raising_and_a_second_one_raises() -> None:
    stop = threading.Event()
    with stop_on_signals(stop):
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.wait(2)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            threading.Event().wait(2)  # the handler raises here
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
