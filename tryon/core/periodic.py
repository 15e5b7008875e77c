"""Work a process repeats in the background: every so often, on a daemon thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def run_every(seconds: float, work: Callable[[], object], name: str,
              stopped: threading.Event | None = None) -> threading.Thread:
    """Call ``work()`` every ``seconds`` on a daemon thread named ``name`` until
    ``stopped`` is set. A failure is logged and tried again next time: a
    restarting database or a busy disk must not end the loop."""
    stopped = stopped or threading.Event()

    def loop() -> None:
        while not stopped.wait(seconds):
            try:
                work()
            except Exception:  # anything: the next turn may succeed
                log.warning("%s failed; trying again in %g s", name, seconds, exc_info=True)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
