"""Durable outbox: every outgoing message is committed to SQLite before any attempt to send it.

Design (why it is built this way):
- One SQLite file in WAL mode. Enqueueing (and `retry`) commits with `synchronous=FULL`: a message
  accepted by `enqueue` survives a crash AND a power cut. The per-attempt marks (`sending`, `sent`,
  failures) commit with `synchronous=NORMAL`: in WAL mode that is still safe against a killed process
  (the committed frames are in the OS cache), and costs no fsync. After a power cut the last marks may
  be lost, which can only cause a resend (never a loss). Store calls run directly on the event loop
  (microseconds without fsync); the "sent" commit thus happens in the same event-loop turn as the
  service's answer, with nothing in between.
- One asyncio worker per channel, strictly FIFO: the head message of a channel blocks the ones behind it
  while it waits for its retry, so a channel never reorders messages.
- Each attempt is bracketed by two commits: `sending` (attempts + 1) before the request, `sent` right
  after the answer. A process killed in between leaves the row `sending`; at the next start such rows
  become `pending` with `in_doubt` set, and are resent with the SAME idempotency key. Channels that can
  ask the service whether the message arrived (SMS: Twilio's message list) do so first; the others
  resend with a visible "possible duplicate" mark, because Telegram and Discord webhooks take no
  idempotency key: for them the guarantee is at-least-once, with a duplicate possible only for the one
  message per channel whose request was in flight at the crash (or timed out).
- A dedup key (UNIQUE) makes enqueueing idempotent: replaying the same engine event enqueues nothing.
- Only one process may run the workers for a given file (an flock next to it), otherwise two processes
  would both send the same head message.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import random
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.notify.channels.base import Channel, SendError, SendResult
from assistant.notify.message import MessageStatus, NewMessage, OutboxMessage
from assistant.notify.redact import Redactor
from trading_core.private import private_file, tighten_file

log = logging.getLogger("mia.notify.outbox")

KNOWN_CHANNELS = ("telegram", "discord", "sms", "email")
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dedup_key TEXT NOT NULL UNIQUE,
    idempotency_key TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    subject TEXT,
    lang TEXT NOT NULL DEFAULT 'en',
    priority INTEGER NOT NULL DEFAULT 3,
    category TEXT NOT NULL DEFAULT 'system',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_ts REAL NOT NULL,
    updated_ts REAL NOT NULL,
    next_attempt_ts REAL NOT NULL DEFAULT 0,
    attempt_started_ts REAL,
    sent_ts REAL,
    remote_id TEXT,
    in_doubt INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_queue ON outbox (channel, status, id);
"""
_COLUMNS = (
    "id, dedup_key, idempotency_key, channel, recipient, body, subject, lang, priority, category, status, "
    "attempts, last_error, created_ts, updated_ts, next_attempt_ts, attempt_started_ts, sent_ts, remote_id, in_doubt"
)


class OutboxError(Exception):
    """An outbox problem a user can act on (unreadable file, bad message, unknown id)."""


class OutboxBusyError(OutboxError):
    """Another process already runs the send workers for this outbox file."""


def _row_to_message(row: sqlite3.Row | tuple) -> OutboxMessage:
    (id_, dedup, idem, channel, recipient, body, subject, lang, priority, category, status, attempts, last_error,
     created, updated, next_ts, started, sent_ts, remote_id, in_doubt) = row
    return OutboxMessage(
        id=id_, dedup_key=dedup, idempotency_key=idem, channel=channel, recipient=recipient, body=body,
        subject=subject, lang=lang, priority=priority, category=category, status=MessageStatus(status),
        attempts=attempts, last_error=last_error, created_ts=created, updated_ts=updated, next_attempt_ts=next_ts,
        attempt_started_ts=started, sent_ts=sent_ts, remote_id=remote_id, in_doubt=bool(in_doubt),
    )


@dataclass(frozen=True, slots=True)
class RetryReport:
    revived: tuple[int, ...]
    refused: tuple[tuple[int, str], ...]  # (id, reason) for ids that were not revived


class OutboxStore:
    """All SQL of the outbox, synchronous. Used by the async `Outbox` and directly by the CLI."""

    def __init__(
        self,
        path: str | Path,
        *,
        durable_sync: str = "FULL",
        state_sync: str = "NORMAL",
        clock: Callable[[], float] = time.time,
    ) -> None:
        for name, value in (("durable_sync", durable_sync), ("state_sync", state_sync)):
            if value not in ("OFF", "NORMAL", "FULL", "EXTRA"):
                raise ValueError(f"{name} must be OFF, NORMAL, FULL or EXTRA (got {value!r})")
        self._durable_sync, self._state_sync = durable_sync, state_sync
        self.path = Path(path).expanduser()
        self._clock = clock
        try:
            # alert texts, phone numbers and chat ids: owner-only, as the ledger
            private_file(self.path)
            self._db = sqlite3.connect(str(self.path), isolation_level=None, timeout=10.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            for suffix in ("-wal", "-shm"):
                tighten_file(f"{self.path}{suffix}")
            self._db.execute(f"PRAGMA synchronous={state_sync}")
            self._db.execute("PRAGMA busy_timeout=10000")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise OutboxError(
                    f"outbox {self.path} was written by a newer MIA (schema {version} > {SCHEMA_VERSION}); "
                    "upgrade MIA or move the file away"
                )
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            raise OutboxError(f"outbox {self.path} cannot be opened as an SQLite database: {exc}") from None
        except OSError as exc:
            raise OutboxError(f"outbox {self.path} cannot be created: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"OutboxStore({str(self.path)!r})"

    # -- writing -------------------------------------------------------------------------------------

    def enqueue_many(self, messages: Sequence[NewMessage]) -> list[int | None]:
        """Insert in one transaction; returns each new row id, or None where the dedup key already exists."""
        for m in messages:
            _validate(m)
        now = self._clock()
        ids: list[int | None] = []
        with self._transaction(durable=True):
            for m in messages:
                cur = self._db.execute(
                    "INSERT INTO outbox (dedup_key, idempotency_key, channel, recipient, body, subject, lang, priority,"
                    " category, status, created_ts, updated_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)"
                    " ON CONFLICT (dedup_key) DO NOTHING",
                    (m.dedup_key, uuid.uuid4().hex, m.channel, m.recipient, m.body, m.subject, m.lang, m.priority,
                     m.category, now, now),
                )
                ids.append(cur.lastrowid if cur.rowcount == 1 else None)
        return ids

    def mark_sending(self, msg_id: int) -> None:
        now = self._clock()
        self._db.execute(
            "UPDATE outbox SET status='sending', attempts=attempts+1, attempt_started_ts=?, updated_ts=? WHERE id=?",
            (now, now, msg_id),
        )

    def mark_sent(self, msg_id: int, remote_id: str | None, note: str | None = None) -> None:
        now = self._clock()
        self._db.execute(
            "UPDATE outbox SET status='sent', sent_ts=?, updated_ts=?, remote_id=?, in_doubt=0,"
            " last_error=COALESCE(?, last_error) WHERE id=?",
            (now, now, remote_id, note, msg_id),
        )

    def mark_failed(self, msg_id: int, error: str, *, dead: bool, next_attempt_ts: float, in_doubt: bool) -> None:
        self._db.execute(
            "UPDATE outbox SET status=?, last_error=?, next_attempt_ts=?, in_doubt=?, updated_ts=? WHERE id=?",
            ("dead" if dead else "pending", error, next_attempt_ts, int(in_doubt), self._clock(), msg_id),
        )

    def clear_doubt(self, msg_id: int) -> None:
        self._db.execute("UPDATE outbox SET in_doubt=0 WHERE id=?", (msg_id,))

    def recover_in_flight(self) -> int:
        """Rows left `sending` by a dead process: their request may or may not have reached the service."""
        cur = self._db.execute(
            "UPDATE outbox SET status='pending', in_doubt=1, updated_ts=?,"
            " last_error=COALESCE(last_error, 'interrupted while sending') WHERE status='sending'",
            (self._clock(),),
        )
        return cur.rowcount

    def retry(self, ids: Iterable[int] | None = None, *, all_dead: bool = False) -> RetryReport:
        """Put dead messages back in their queue (attempts reset). Sent messages are never resent."""
        revived: list[int] = []
        refused: list[tuple[int, str]] = []
        now = self._clock()
        with self._transaction(durable=True):
            if all_dead:
                rows = self._db.execute("SELECT id FROM outbox WHERE status='dead' ORDER BY id").fetchall()
                targets = [r[0] for r in rows]
            else:
                targets = list(ids or ())
            for msg_id in targets:
                row = self._db.execute("SELECT status FROM outbox WHERE id=?", (msg_id,)).fetchone()
                if row is None:
                    refused.append((msg_id, "no such message"))
                    continue
                status = row[0]
                if status == "sent":
                    refused.append((msg_id, "already sent; not sending it twice"))
                    continue
                self._db.execute(
                    "UPDATE outbox SET status='pending', attempts=0, next_attempt_ts=0, updated_ts=? WHERE id=?",
                    (now, msg_id),
                )
                revived.append(msg_id)
        return RetryReport(tuple(revived), tuple(refused))

    def prune_sent(self, older_than_s: float) -> int:
        cur = self._db.execute(
            "DELETE FROM outbox WHERE status='sent' AND sent_ts < ?", (self._clock() - older_than_s,)
        )
        return cur.rowcount

    # -- reading -------------------------------------------------------------------------------------

    def head(self, channel: str) -> OutboxMessage | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE channel=? AND status IN ('pending', 'sending') ORDER BY id LIMIT 1",
            (channel,),
        ).fetchone()
        return _row_to_message(row) if row else None

    def get(self, msg_id: int) -> OutboxMessage | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id=?", (msg_id,)).fetchone()
        return _row_to_message(row) if row else None

    def messages(
        self, *, status: MessageStatus | str | None = None, channel: str | None = None, limit: int | None = None
    ) -> list[OutboxMessage]:
        where, args = [], []
        if status is not None:
            where.append("status=?")
            args.append(MessageStatus(status).value)
        if channel is not None:
            where.append("channel=?")
            args.append(channel)
        sql = f"SELECT {_COLUMNS} FROM outbox"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_row_to_message(r) for r in self._db.execute(sql, args).fetchall()]

    def counts(self) -> dict[str, dict[str, int]]:
        """{channel: {status: n}} with every status present."""
        out: dict[str, dict[str, int]] = {}
        for channel, status, n in self._db.execute(
            "SELECT channel, status, COUNT(*) FROM outbox GROUP BY channel, status"
        ):
            out.setdefault(channel, {s.value: 0 for s in MessageStatus})[status] = n
        return out

    def unfinished(self, channels: Iterable[str] | None = None) -> int:
        sql = "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')"
        args: list[str] = []
        names = list(channels) if channels is not None else None
        if names is not None:
            if not names:
                return 0
            sql += f" AND channel IN ({', '.join('?' for _ in names)})"
            args = names
        return self._db.execute(sql, args).fetchone()[0]

    def remote_ids(self, channel: str, since_ts: float) -> frozenset[str]:
        rows = self._db.execute(
            "SELECT remote_id FROM outbox WHERE channel=? AND remote_id IS NOT NULL AND created_ts >= ?",
            (channel, since_ts),
        ).fetchall()
        return frozenset(r[0] for r in rows)

    @contextlib.contextmanager
    def _transaction(self, durable: bool = False):
        # The synchronous level in force at COMMIT decides whether the commit waits for the disk.
        if durable and self._durable_sync != self._state_sync:
            self._db.execute(f"PRAGMA synchronous={self._durable_sync}")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        finally:
            if durable and self._durable_sync != self._state_sync:
                self._db.execute(f"PRAGMA synchronous={self._state_sync}")


def _validate(m: NewMessage) -> None:
    if not m.channel or not m.channel.strip():
        raise OutboxError("message has no channel")
    if not m.dedup_key:
        raise OutboxError(f"message to {m.channel} has no dedup key")
    if not m.body or not m.body.strip():
        raise OutboxError(f"message {m.dedup_key!r} to {m.channel} has an empty body")
    if not 1 <= m.priority <= 5:
        raise OutboxError(f"message {m.dedup_key!r}: priority {m.priority} is not in 1..5")


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Exponential backoff with 'equal jitter': between half and all of base * factor^(attempt-1)."""

    base_s: float = 1.0
    max_s: float = 300.0
    factor: float = 2.0
    jitter: float = 0.5

    def delay(self, attempt: int, rng: random.Random) -> float:
        raw = min(self.max_s, self.base_s * self.factor ** max(0, attempt - 1))
        return raw * (1.0 - self.jitter * rng.random())

    @staticmethod
    def after_server_hint(retry_after: float, rng: random.Random) -> float:
        # Never earlier than the service asked; a little later so many clients do not return in step.
        return retry_after * (1.0 + 0.1 * rng.random()) + 0.01


@dataclass
class _Lock:
    path: Path
    fd: int | None = field(default=None)

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise OutboxBusyError(
                f"another MIA process (pid {holder}) is already sending from this outbox ({self.path}); "
                "stop it first, or point this one at another data_dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


async def _wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait for `event` at most `seconds`. Built on asyncio.timeout(), not wait_for(): on Python 3.11
    wait_for() can swallow a cancellation that lands as the event fires, and a worker that ignores
    its cancellation hangs shutdown."""
    try:
        async with asyncio.timeout(max(0.0, seconds)):
            await event.wait()
        return True
    except TimeoutError:
        return False


class Outbox:
    """The async outbox: enqueue (durably, at once), then per-channel workers deliver in order.

    `channels` are started and closed by the outbox. `send_timeout_s` bounds one attempt (the channels
    get the same value for their HTTP clients; this is the safety net above them)."""

    def __init__(
        self,
        path: str | Path,
        channels: Iterable[Channel] = (),
        *,
        max_attempts: int = 8,
        backoff: BackoffPolicy | None = None,
        send_timeout_s: float = 10.0,
        poll_interval_s: float = 1.0,
        prune_sent_after_s: float = 30 * 86400.0,
        redactor: Redactor | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1 (got {max_attempts})")
        self.store = OutboxStore(path, clock=clock)
        self._channels: dict[str, Channel] = {}
        for ch in channels:
            if ch.name in self._channels:
                raise ValueError(f"two channels named {ch.name!r}")
            self._channels[ch.name] = ch
        self.max_attempts = max_attempts
        self.backoff = backoff or BackoffPolicy()
        self.send_timeout_s = send_timeout_s
        self.poll_interval_s = poll_interval_s
        self._prune_after = prune_sent_after_s
        self._redact = redactor or Redactor()
        self._rng = rng or random.Random()
        self._clock = clock
        self._wake: dict[str, asyncio.Event] = {}
        self._changed: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = _Lock(Path(str(self.store.path) + ".lock"))
        self._started = False

    def __repr__(self) -> str:
        return f"Outbox({str(self.store.path)!r}, channels={sorted(self._channels)}, started={self._started})"

    @property
    def path(self) -> Path:
        return self.store.path

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(self._channels)

    def channel(self, name: str) -> Channel | None:
        return self._channels.get(name)

    # -- enqueue ------------------------------------------------------------------------------------

    def enqueue(
        self,
        channel: str,
        recipient: str,
        body: str,
        *,
        dedup_key: str,
        subject: str | None = None,
        lang: str = "en",
        priority: int = 3,
        category: str = "system",
    ) -> int | None:
        """Commit one message; returns its id, or None if `dedup_key` was already enqueued."""
        return self.enqueue_many(
            [NewMessage(channel, recipient, body, dedup_key, subject, lang, priority, category)]
        )[0]

    def enqueue_many(self, messages: Sequence[NewMessage]) -> list[int | None]:
        for m in messages:
            if m.channel not in self._channels and m.channel not in KNOWN_CHANNELS:
                raise OutboxError(
                    f"unknown channel {m.channel!r}; known: {', '.join(sorted(set(KNOWN_CHANNELS) | set(self._channels)))}"
                )
        ids = self.store.enqueue_many(messages)
        for m, new_id in zip(messages, ids, strict=True):
            if new_id is not None and m.channel in self._wake:
                self._wake[m.channel].set()
        return ids

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Take the sender lock, recover rows left in flight by a dead process, start one worker per channel."""
        if self._started:
            return
        self._lock.acquire()
        try:
            recovered = self.store.recover_in_flight()
            if recovered:
                log.warning("outbox: %d message(s) were in flight when MIA stopped; they will be resent", recovered)
            if self._prune_after > 0:
                self.store.prune_sent(self._prune_after)
            self._changed = asyncio.Event()
            for name, ch in self._channels.items():
                await ch.start()
                self._wake[name] = asyncio.Event()
        except BaseException:
            self._lock.release()
            raise
        self._started = True
        for name in self._channels:
            self._tasks.append(asyncio.create_task(self._worker(name), name=f"outbox-{name}"))

    async def stop(self, drain_timeout: float | None = None) -> None:
        """Stop the workers (after waiting up to `drain_timeout` s for the queues to empty)."""
        if not self._started:
            self.store.close()
            return
        if drain_timeout:
            await self.wait_idle(drain_timeout)
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks.clear()
        for ch in self._channels.values():
            with contextlib.suppress(Exception):
                await ch.close()
        self._started = False
        self._lock.release()
        self.store.close()

    async def __aenter__(self) -> "Outbox":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no message of a running channel is pending or sending. False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.store.unfinished(self._channels) > 0:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            assert self._changed is not None, "wait_idle() needs start() first"
            self._changed.clear()
            await _wait_event(self._changed, min(0.5, remaining or 0.5))
        return True

    # -- inspection and manual retry ---------------------------------------------------------------

    def counts(self) -> dict[str, dict[str, int]]:
        return self.store.counts()

    def messages(self, **kw) -> list[OutboxMessage]:
        return self.store.messages(**kw)

    def retry(self, ids: Iterable[int] | None = None, *, all_dead: bool = False) -> RetryReport:
        report = self.store.retry(ids, all_dead=all_dead)
        for ev in self._wake.values():
            ev.set()
        return report

    # -- workers ------------------------------------------------------------------------------------

    def _notify_change(self) -> None:
        if self._changed is not None:
            self._changed.set()

    async def _sleep_or_wake(self, name: str, seconds: float) -> None:
        ev = self._wake[name]
        await _wait_event(ev, seconds)
        ev.clear()

    async def _worker(self, name: str) -> None:
        ch = self._channels[name]
        while True:
            try:
                msg = self.store.head(name)
                if msg is None:
                    # Polling as well as waking: `mia outbox retry` runs in another process.
                    await self._sleep_or_wake(name, self.poll_interval_s)
                    continue
                wait = msg.next_attempt_ts - self._clock()
                if wait > 0:
                    await self._sleep_or_wake(name, min(wait, self.poll_interval_s * 5))
                    continue
                await self._attempt(ch, msg)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the worker must outlive any single failure (disk full, a bug)
                log.error("outbox worker %s: %s", name, self._redact(f"{type(exc).__name__}: {exc}"))
                await asyncio.sleep(self.poll_interval_s)

    async def _attempt(self, ch: Channel, msg: OutboxMessage) -> None:
        await ch.wait_ready(msg)
        if msg.in_doubt:
            verdict = await self._reconcile(ch, msg)
            if isinstance(verdict, SendResult) or verdict is True:
                remote_id = verdict.remote_id if isinstance(verdict, SendResult) else msg.remote_id
                self.store.mark_sent(msg.id, remote_id, note="found at the service after an interrupted attempt; not resent")
                log.info("outbox: %s message %d was already delivered; not resending", ch.name, msg.id)
                self._notify_change()
                return
            if verdict is False:
                self.store.clear_doubt(msg.id)
                msg = self.store.get(msg.id) or msg
        self.store.mark_sending(msg.id)
        attempts = msg.attempts + 1
        try:
            async with asyncio.timeout(self.send_timeout_s * 1.5 + 1.0):
                result = await ch.send(msg)
        except asyncio.CancelledError:
            # Stopped mid-request: the service may have it. Leave it in doubt for the next start.
            self.store.mark_failed(msg.id, "stopped while sending", dead=False, next_attempt_ts=0.0, in_doubt=True)
            raise
        except asyncio.TimeoutError:
            self._failed(ch, msg, attempts, SendError(f"no answer within {self.send_timeout_s:g} s", ambiguous=True))
        except SendError as exc:
            self._failed(ch, msg, attempts, exc)
        except Exception as exc:  # a channel bug must not lose the message: retry it like a network error
            self._failed(ch, msg, attempts, SendError(f"{type(exc).__name__}: {exc}", ambiguous=True))
        else:
            # Same event-loop turn as the answer: nothing can run between the reply and this commit.
            self.store.mark_sent(msg.id, result.remote_id)
            self._notify_change()

    async def _reconcile(self, ch: Channel, msg: OutboxMessage) -> SendResult | bool | None:
        started = msg.attempt_started_ts or msg.created_ts
        try:
            known = self.store.remote_ids(ch.name, since_ts=msg.created_ts - 86400.0)
            async with asyncio.timeout(self.send_timeout_s * 1.5 + 1.0):
                return await ch.reconcile(msg, known)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "outbox: could not check whether %s message %d (attempt at %.0f) arrived: %s",
                ch.name, msg.id, started, self._redact(exc),
            )
            return None

    def _failed(self, ch: Channel, msg: OutboxMessage, attempts: int, exc: SendError) -> None:
        error = self._redact(str(exc)) or type(exc).__name__
        in_doubt = msg.in_doubt or exc.ambiguous
        dead = (not exc.retryable) or attempts >= self.max_attempts
        if dead:
            self.store.mark_failed(msg.id, error, dead=True, next_attempt_ts=0.0, in_doubt=in_doubt)
            reason = "permanent error" if not exc.retryable else f"{attempts} attempts"
            log.error("outbox: %s message %d dead-lettered (%s): %s", ch.name, msg.id, reason, error)
        else:
            if exc.retry_after is not None:
                delay = max(self.backoff.after_server_hint(exc.retry_after, self._rng), 0.0)
            else:
                delay = self.backoff.delay(attempts, self._rng)
            self.store.mark_failed(
                msg.id, error, dead=False, next_attempt_ts=self._clock() + delay, in_doubt=in_doubt
            )
            log.warning(
                "outbox: %s message %d attempt %d failed (%s); retry in %.2f s", ch.name, msg.id, attempts, error, delay
            )
        self._notify_change()
