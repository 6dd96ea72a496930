"""`mia outbox status` and `mia outbox retry [--id N ... | --all-dead]`.

The lead's CLI calls `register(subparsers)`; the functions can also be called directly, and
`python -m assistant.notify.cli outbox status` works on its own. These commands only read or flip rows
in the outbox file; a running `mia run` notices revived messages within a second (its workers poll)."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence, Set
from datetime import datetime, timezone

from assistant.notify.factory import outbox_path
from assistant.notify.message import MessageStatus, OutboxMessage
from assistant.notify.outbox import OutboxError, OutboxStore, RetryReport
from trading_core.config import ConfigError, MiaConfig, load_config

_T = {
    "en": {
        "none": "No outbox yet at {path} (nothing has been sent).",
        "title": "Outbox {path}",
        "channel": "channel",
        "empty": "(empty)",
        "dead": "Dead letters (resend with: mia outbox retry --id N, or --all-dead):",
        "waiting": "Waiting to be sent:",
        "more": "… and {n} more",
        "cols": ("id", "channel", "to", "tries", "created (UTC)", "last error"),
        "statuses": ("pending", "sending", "sent", "dead"),
        "next": "next try in {s:.0f} s",
        "revived": "Back in the queue: {ids}.",
        "nothing": "Nothing to retry.",
        "refused": "Not retried: #{id}: {why}.",
        "need": "say which messages: --id N (repeatable) or --all-dead",
    },
    "fr": {
        "none": "Pas encore de boîte d'envoi à {path} (rien n'a été envoyé).",
        "title": "Boîte d'envoi {path}",
        "channel": "canal",
        "empty": "(vide)",
        "dead": "Messages abandonnés (renvoyer avec : mia outbox retry --id N, ou --all-dead) :",
        "waiting": "En attente d'envoi :",
        "more": "… et {n} de plus",
        "cols": ("id", "canal", "dest.", "essais", "créé (UTC)", "dernière erreur"),
        "statuses": ("en attente", "en cours", "envoyés", "abandonnés"),
        "next": "nouvel essai dans {s:.0f} s",
        "revived": "Remis dans la file : {ids}.",
        "nothing": "Rien à renvoyer.",
        "refused": "Non renvoyé : n°{id} : {why}.",
        "need": "indiquez les messages : --id N (répétable) ou --all-dead",
    },
}
_REFUSALS_FR = {"no such message": "message inconnu", "already sent; not sending it twice": "déjà envoyé ; pas de second envoi"}


def _t(lang: str) -> dict:
    return _T["fr" if lang == "fr" else "en"]


def _short(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _table(rows: list[Sequence[str]], right: Set[int] = frozenset()) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(r)).rstrip()
        for r in rows
    ]


def _message_rows(msgs: list[OutboxMessage], t: dict, now: float) -> list[str]:
    rows: list[Sequence[str]] = [t["cols"]]
    for m in msgs:
        err = m.last_error or ""
        if m.status is MessageStatus.PENDING and m.next_attempt_ts > now:
            err = f"{t['next'].format(s=m.next_attempt_ts - now)}; {err}" if err else t["next"].format(s=m.next_attempt_ts - now)
        rows.append((str(m.id), m.channel, _short(m.recipient, 16), str(m.attempts), _when(m.created_ts), _short(err, 70)))
    return ["  " + line for line in _table(rows, right={0, 3})]


def outbox_status(config: MiaConfig, *, channel: str | None = None, limit: int = 20, lang: str = "en") -> str:
    """Counts per channel and status, then the dead letters and the waiting messages."""
    t = _t(lang)
    path = outbox_path(config)
    if not path.exists():
        return t["none"].format(path=path)
    store = OutboxStore(path)
    try:
        now = datetime.now(timezone.utc).timestamp()
        counts = store.counts()
        names = [channel] if channel else sorted(counts)
        lines = [t["title"].format(path=path)]
        statuses = [s.value for s in MessageStatus]
        rows: list[Sequence[str]] = [(t["channel"], *t["statuses"])]
        for name in names:
            c = counts.get(name, {s: 0 for s in statuses})
            rows.append((name, *(str(c[s]) for s in statuses)))
        lines += _table(rows, right=set(range(1, len(statuses) + 1))) if len(rows) > 1 else [t["empty"]]
        for status, head in ((MessageStatus.DEAD, "dead"), (MessageStatus.PENDING, "waiting")):
            msgs = store.messages(status=status, channel=channel)
            if status is MessageStatus.PENDING:
                msgs += store.messages(status=MessageStatus.SENDING, channel=channel)
                msgs.sort(key=lambda m: m.id)
            if msgs:
                lines += ["", t[head]]
                lines += _message_rows(msgs[:limit], t, now)
                if len(msgs) > limit:
                    lines.append("  " + t["more"].format(n=len(msgs) - limit))
        return "\n".join(lines)
    finally:
        store.close()


def outbox_retry(config: MiaConfig, ids: Sequence[int] | None = None, *, all_dead: bool = False) -> RetryReport:
    """Put dead messages (by id, or all of them) back in their queue. Sent messages are refused."""
    if not ids and not all_dead:
        raise OutboxError(_T["en"]["need"])
    path = outbox_path(config)
    if not path.exists():
        return RetryReport((), tuple((i, "no such message") for i in (ids or ())))
    store = OutboxStore(path)
    try:
        return store.retry(ids, all_dead=all_dead)
    finally:
        store.close()


def format_retry_report(report: RetryReport, lang: str = "en") -> str:
    t = _t(lang)
    lines = []
    if report.revived:
        lines.append(t["revived"].format(ids=", ".join(f"#{i}" for i in report.revived)))
    for msg_id, why in report.refused:
        lines.append(t["refused"].format(id=msg_id, why=_REFUSALS_FR.get(why, why) if lang == "fr" else why))
    return "\n".join(lines) or t["nothing"]


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `outbox status` and `outbox retry` to the main CLI. Sets `func=outbox_command`."""
    p = subparsers.add_parser("outbox", help="durable alert outbox: status and retry / boîte d'envoi des alertes")
    sub = p.add_subparsers(dest="outbox_command", required=True)
    st = sub.add_parser("status", help="counts, dead letters and waiting messages")
    st.add_argument("--channel", choices=["telegram", "discord", "sms", "email"], help="only this channel")
    st.add_argument("--limit", type=int, default=20, help="rows shown per list (default 20)")
    rt = sub.add_parser("retry", help="resend dead-lettered messages")
    grp = rt.add_mutually_exclusive_group(required=True)
    grp.add_argument("--id", dest="ids", type=int, action="append", metavar="N", help="message id (repeatable)")
    grp.add_argument("--all-dead", action="store_true", help="every dead message")
    for q in (st, rt):
        q.add_argument("--lang", choices=["en", "fr"], default=None, help="language of the output")
    p.set_defaults(func=outbox_command)
    return p


def outbox_command(args: argparse.Namespace, config: MiaConfig | None = None) -> int:
    """Run a parsed `outbox` command; returns the exit code (0 ok, 1 refused ids, 2 config/file error)."""
    try:
        cfg = config or load_config(getattr(args, "config", None))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    lang = getattr(args, "lang", None) or (cfg.language if cfg.language in ("fr", "en") else "en")
    try:
        if args.outbox_command == "status":
            print(outbox_status(cfg, channel=args.channel, limit=args.limit, lang=lang))
            return 0
        report = outbox_retry(cfg, args.ids, all_dead=args.all_dead)
    except OutboxError as exc:
        print(f"outbox: {exc}", file=sys.stderr)
        return 2
    print(format_retry_report(report, lang))
    return 1 if report.refused else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mia")
    parser.add_argument("--config", help="user config file (YAML)")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
