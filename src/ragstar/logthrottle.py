"""A logging filter that lets through at most a few records of the same kind per interval, and says
how many it held back: a flood of identical errors (at the open-file limit, 29 MB of tracebacks in
6 s) must not fill the disk or drown the one line that explains it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

#: Records of one kind let through per interval, and the interval, seconds.
BURST = 10
INTERVAL_SECONDS = 10.0
#: Kinds remembered at most (the oldest is forgotten first), so the filter's memory is bounded.
MAX_KINDS = 1000


class RepeatFilter(logging.Filter):
    """At most ``burst`` records with the same logger, level and message (as formatted, so lines that
    differ in their values are not throttled together) per ``interval`` seconds; the first record let
    through after some were held back ends with ``(N similar messages suppressed)``. Thread-safe;
    ``clock`` returns seconds (monotonic). A count is reported only when a next record of that kind
    comes."""

    def __init__(self, burst: int = BURST, interval: float = INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._burst = burst
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        # kind → [window start, records let through in it, records held back]
        self._kinds: OrderedDict[tuple[str, int, str], list[float]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit: let logging report it as usual
            return True
        kind = (record.name, record.levelno, message)
        now = self._clock()
        with self._lock:
            window = self._kinds.get(kind)
            if window is None or now - window[0] >= self._interval:
                held = int(window[2]) if window is not None else 0
                self._kinds[kind] = [now, 1, 0]
                self._kinds.move_to_end(kind)
                while len(self._kinds) > MAX_KINDS:
                    self._kinds.popitem(last=False)
                if held:
                    record.msg, record.args = f"{message} ({held} similar messages suppressed)", None
                return True
            if window[1] < self._burst:
                window[1] += 1
                return True
            window[2] += 1
            return False


def throttle_logging(logger_names: tuple[str, ...]) -> RepeatFilter:
    """Attach one :class:`RepeatFilter` to every handler of these loggers; a logger without a
    handler of its own (``asyncio``, whose accept errors carry tracebacks) gets a stderr handler
    with it and stops propagating. Returns the filter."""
    repeat = RepeatFilter()
    for name in logger_names:
        target = logging.getLogger(name)
        if not target.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
            target.addHandler(handler)
            target.propagate = False
        for handler in target.handlers:
            handler.addFilter(repeat)
    return repeat
