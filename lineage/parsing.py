"""Parsing SQL on behalf of a request or a task, within limits, in a worker process that can be
killed.

The library's per-statement budget (lineage.sql.timeout) is a thread-level interrupt: it cannot
stop a loop inside C code or a regular expression, and it bounds one statement, not a script of
thousands. So the web and task processes never parse such SQL themselves: they hand it to a small
pool of warm worker processes (`ParsePool`), wait at most the total time allowed, and kill the
worker (starting a fresh one) when it overruns. Before that, two cheap checks refuse what is
plainly too much: the size in bytes and the number of statements (`count_statements`, a linear
scan, no regular expression that can backtrack).

The worker side (`_serve`) imports only the pure parser; the parent side reads the limits from
the settings (`ParseLimits.for_requests`, `ParseLimits.for_tasks`)."""

from __future__ import annotations

import atexit
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from core.errors import DomainError, TooLarge
from lineage.sql import extract_lineage

ASYNC_HINT = "Submit it asynchronously instead: POST /api/v1/lineage/submissions/."


# Limits -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParseLimits:
    """What one parse may take: bytes of SQL, statements, and seconds for the whole parse.
    `names` are the settings that set them, quoted in refusals."""

    max_bytes: int
    max_statements: int
    seconds: float
    names: tuple[str, str, str]
    hint: str = ""

    @classmethod
    def for_requests(cls) -> ParseLimits:
        from django.conf import settings

        return cls(
            settings.LINEAGE_SQL_MAX_BYTES,
            settings.LINEAGE_SQL_MAX_STATEMENTS,
            settings.LINEAGE_PARSE_SECONDS,
            ("LINEAGE_SQL_MAX_BYTES", "LINEAGE_SQL_MAX_STATEMENTS", "LINEAGE_PARSE_SECONDS"),
            ASYNC_HINT,
        )

    @classmethod
    def for_tasks(cls) -> ParseLimits:
        from django.conf import settings

        return cls(
            settings.LINEAGE_ASYNC_SQL_MAX_BYTES,
            settings.LINEAGE_ASYNC_SQL_MAX_STATEMENTS,
            settings.LINEAGE_ASYNC_PARSE_SECONDS,
            (
                "LINEAGE_ASYNC_SQL_MAX_BYTES",
                "LINEAGE_ASYNC_SQL_MAX_STATEMENTS",
                "LINEAGE_ASYNC_PARSE_SECONDS",
            ),
        )

    def check_size(self, sql: str) -> None:
        """413 when `sql` has more bytes or statements than allowed; cheap, before any parse."""
        size = len(sql.encode("utf-8", "surrogatepass"))
        if size > self.max_bytes:
            raise LimitExceeded(
                "sql", self.names[0], self.max_bytes, size,
                f"The SQL is {size:,} bytes; at most {self.max_bytes:,} are parsed here "
                f"({self.names[0]}).",
                self.hint,
            )  # fmt: skip
        statements = count_statements(sql)
        if statements > self.max_statements:
            self.too_many_statements(statements)

    def too_many_statements(self, statements: int) -> None:
        raise LimitExceeded(
            "sql", self.names[1], self.max_statements, statements,
            f"The SQL has {statements:,} statements; at most {self.max_statements:,} are parsed "
            f"here ({self.names[1]}).",
            self.hint,
        )  # fmt: skip

    def timed_out(self) -> ParseTimedOut:
        return ParseTimedOut(
            f"Parsing this SQL took longer than {self.seconds:g} s ({self.names[2]}); it was "
            f"stopped and nothing was recorded. {self.hint}".strip(),
            [{"path": "sql", "message": f"Parsing stopped after {self.seconds:g} s."}],
            limit={"name": self.names[2], "max": self.seconds},
        )


class LimitExceeded(TooLarge):
    """413: the SQL is larger than a limit; `limit` names the setting, its value and the SQL's."""

    def __init__(self, path: str, name: str, maximum, value, message: str, hint: str = ""):
        super().__init__(
            f"{message} Nothing was recorded. {hint}".strip(),
            [{"path": path, "message": message}],
            limit={"name": name, "max": maximum, "value": value},
        )


class ParseTimedOut(DomainError):
    """422: the parse ran past the total time allowed and was stopped."""

    status, code = 422, "parse_timeout"


class ParserCrashed(Exception):
    """The worker process died or failed outside the parser's own error handling."""


# Counting statements --------------------------------------------------------------------------

# Strings and quoted names (kept as their opening character: they are content) and comments
# (dropped). Every alternative always matches to its end or to the end of the text, so the
# scan is linear whatever the text holds: no retry from each later position.
_NOT_CODE = re.compile(
    r"(')[^']*'?"
    r'|(")[^"]*"?'
    r"|(`)[^`]*`?"
    r"|(\[)[^\]]*\]?"
    r"|(\$)(?:(\w{0,64})\$)[\s\S]*?(?:\$\6\$|\Z)"
    r"|--[^\n]*"
    r"|/\*[\s\S]*?(?:\*/|\Z)"
)


def count_statements(sql: str) -> int:
    """Statements in `sql`, counted as non-empty stretches between semicolons outside strings,
    quoted names and comments (a procedure body counts each of its statements, which the parser
    analyses one by one). Linear in the length of `sql`, and done by the regular expression
    engine and string methods, whatever the text holds."""
    code = _NOT_CODE.sub(r"\1\2\3\4\5", sql)
    return sum(map(bool, map(str.strip, code.split(";"))))


# The worker process ----------------------------------------------------------------------------


class _TooManyStatements(Exception):
    def __init__(self, total: int):
        self.total = total


class _Reporter:
    """The parser's `progress` hook in a worker: refuses a script of too many statements as soon
    as it is split, and sends progress to the parent (at most every `every` seconds)."""

    def __init__(self, conn, max_statements: int | None, every: float | None) -> None:
        self.conn, self.max_statements, self.every, self.last = conn, max_statements, every, 0.0

    def __call__(self, done: int, total: int) -> None:
        if done == 0 and self.max_statements is not None and total > self.max_statements:
            raise _TooManyStatements(total)
        if self.every is None:
            return
        now = time.monotonic()
        if done in (0, total) or now - self.last >= self.every:
            self.last = now
            self.conn.send(("progress", done, total))


def _serve(conn) -> None:
    """A worker's loop: parse what the parent sends, answer with the result."""
    while True:
        try:
            sql, dialect, schema, max_statements, report_every = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        progress = _Reporter(conn, max_statements, report_every)
        try:
            result = extract_lineage(sql, dialect=dialect, schema=schema, progress=progress)
            answer = ("done", result.to_dict())
        except _TooManyStatements as exc:
            answer = ("statements", exc.total)
        except Exception as exc:  # reported to the parent like any parser failure
            answer = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(answer)
        except OSError:
            return


def main(fd: int) -> None:
    """Entry point of a worker process: serve the parent on the socket `fd`."""
    _serve(Connection(fd))


_PROJECT = Path(__file__).resolve().parent.parent


class _Worker:
    """One worker process, a fresh interpreter that imports only the parser (not a fork of a
    server process with its threads and database connections, nor a re-run of its main
    module), talking over a socket pair."""

    def __init__(self) -> None:
        mine, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "import sys, lineage.parsing as p; p.main(int(sys.argv[1]))",
                 str(theirs.fileno())],
                cwd=_PROJECT,
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        finally:
            theirs.close()
        self.conn = Connection(mine.detach())

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.conn.close()


class ParsePool:
    """Up to `size` worker processes per server process, started on first use and kept; a
    worker that overruns its deadline or dies is killed and replaced at once."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._live = 0
        self._pid = os.getpid()

    def close(self) -> None:
        """Let the idle workers go: each exits when its socket closes."""
        with self._cond:
            idle, self._idle = self._idle, []
            self._live -= len(idle)
        for worker in idle:
            worker.conn.close()
            try:
                worker.process.wait(1)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(5)

    def pids(self) -> list[int]:
        """Process ids of the idle workers (for operators and tests)."""
        with self._cond:
            return [w.process.pid for w in self._idle if w.alive()]

    def _checkout(self, deadline: float) -> _Worker | None:
        with self._cond:
            if self._pid != os.getpid():  # forked (gunicorn --preload): the workers are not ours
                self._idle, self._live, self._pid = [], 0, os.getpid()
            while True:
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    worker.kill()  # reaps it and closes its socket
                    self._live -= 1
                if self._live < self.size:
                    self._live += 1
                    try:
                        return _Worker()
                    except BaseException:
                        self._live -= 1
                        raise
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            self._idle.append(worker)
            self._cond.notify()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._cond:
            self._live -= 1
            try:  # the next caller finds a warm worker
                self._idle.append(_Worker())
                self._live += 1
            except Exception:
                pass
            self._cond.notify()

    def run(
        self,
        sql: str,
        dialect: str | None,
        schema: dict | None,
        *,
        deadline: float,
        limits: ParseLimits,
        on_progress: Callable[[int, int], None] | None = None,
        report_every: float = 0.5,
    ) -> dict:
        """The parser's result for `sql`, parsed in a worker. Raises `limits.timed_out()` at
        `deadline` (monotonic), LimitExceeded when the script has too many statements,
        ParserCrashed when the worker fails."""
        worker = self._checkout(deadline)
        if worker is None:
            raise limits.timed_out()
        every = report_every if on_progress is not None else None
        request = (sql, dialect, schema, limits.max_statements, every)
        settled = False  # once released or discarded, the worker may be serving someone else
        try:
            worker.conn.send(request)
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not worker.conn.poll(remaining):
                    settled = True
                    self._discard(worker)
                    raise limits.timed_out()
                kind, *payload = worker.conn.recv()
                if kind == "progress":
                    if on_progress is not None:
                        on_progress(*payload)
                    continue
                settled = True
                self._release(worker)
                if kind == "done":
                    return payload[0]
                if kind == "statements":
                    limits.too_many_statements(payload[0])
                raise ParserCrashed(payload[0])
        except (EOFError, OSError) as exc:
            if settled:
                raise
            self._discard(worker)
            raise ParserCrashed(f"the parser's worker process stopped ({exc!r})") from None
        except BaseException:
            if not settled:  # interrupted while the worker parses (on_progress failed, say)
                self._discard(worker)
            raise


_POOL: ParsePool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> ParsePool:
    """This process's pool (LINEAGE_PARSE_WORKERS workers at most)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from django.conf import settings

            _POOL = ParsePool(settings.LINEAGE_PARSE_WORKERS)
            atexit.register(_POOL.close)
        return _POOL
