"""A per-statement time budget that works in any thread (the parser runs in web workers and
task workers, not only in the main thread)."""

from __future__ import annotations

import ctypes
import heapq
import itertools
import threading
import time


class StatementTimeout(BaseException):
    """Raised inside the analysing thread when a statement overruns its time budget.

    A BaseException so that the broad ``except Exception`` retries inside sqlglot and in
    this package cannot swallow it.
    """


class Watchdog:
    """One daemon thread that interrupts overrunning statements in any thread.

    Signals only work in the main thread and would clobber a caller's own SIGALRM, so the
    watchdog injects an asynchronous exception into the analysing thread instead; sqlglot is
    pure Python, so the exception lands within a few bytecodes.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, int] = {}  # token -> thread id
        self._fired: dict[int, int] = {}  # token -> thread id, fired but not yet disarmed
        self._tokens = itertools.count(1)
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float) -> int:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="lineage-sql-watchdog", daemon=True
                )
                self._thread.start()
            token = next(self._tokens)
            self._armed[token] = threading.get_ident()
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            self._cond.notify()
            return token

    def disarm(self, token: int) -> bool:
        """Stop watching; True when the deadline had already fired."""
        with self._cond:
            self._armed.pop(token, None)
            tid = self._fired.pop(token, None)
            if tid is None:
                return False
            # the exception may still be pending if it had not been raised yet: clear it
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)
            return True

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                tid = self._armed.pop(token)
                self._fired[token] = tid
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(tid), ctypes.py_object(StatementTimeout)
                )


WATCHDOG = Watchdog()
