"""Stopping on SIGTERM and SIGINT through a `threading.Event`.

Process managers stop an adapter with SIGTERM. The handlers only set an event, so whatever is
in flight (a handler running, an answer being posted) finishes before the process exits.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType


def stop_on_signals(stop: threading.Event | None = None) -> threading.Event:
    """Set `stop` (a new event if none) on SIGTERM or SIGINT. Call it from the main thread."""
    event = stop if stop is not None else threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        event.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, request_stop)
    return event
