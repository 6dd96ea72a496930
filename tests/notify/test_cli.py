"""`mia outbox status` and `mia outbox retry`."""
from __future__ import annotations

import argparse

import pytest

from assistant.notify import cli
from assistant.notify.factory import outbox_path
from assistant.notify.message import MessageStatus, NewMessage
from assistant.notify.outbox import OutboxError, OutboxStore
from tests.notify.helpers import CHAT_ID, make_outbox, telegram_channel
from trading_core.config import load_config


@pytest.fixture
def config(tmp_path):
    return load_config(env={}, overrides={"data_dir": str(tmp_path)})


def _seed(config) -> dict[str, int]:
    """One sent, one dead, one waiting message."""
    store = OutboxStore(outbox_path(config))
    sent, dead, waiting = store.enqueue_many([
        NewMessage("telegram", "42", "sent one", "a"),
        NewMessage("sms", "+33612345678", "dead one", "b"),
        NewMessage("discord", "webhook", "waiting one", "c"),
    ])
    store.mark_sending(sent)
    store.mark_sent(sent, "1")
    for _ in range(8):
        store.mark_sending(dead)
    store.mark_failed(dead, "twilio 503 (code 20503): Service Unavailable", dead=True, next_attempt_ts=0, in_doubt=False)
    store.mark_sending(waiting)
    store.mark_failed(waiting, "discord 429 (webhook rate limit)", dead=False, next_attempt_ts=4e9, in_doubt=False)
    store.close()
    return {"sent": sent, "dead": dead, "waiting": waiting}


def test_status_without_outbox(config):
    assert cli.outbox_status(config).startswith("No outbox yet at")
    assert not outbox_path(config).exists()  # looking does not create it
    assert cli.outbox_status(config, lang="fr").startswith("Pas encore de boîte d'envoi")


def test_status_table(config):
    ids = _seed(config)
    text = cli.outbox_status(config)
    lines = text.splitlines()
    assert lines[0] == f"Outbox {outbox_path(config)}"
    assert lines[1].split() == ["channel", "pending", "sending", "sent", "dead"]
    assert lines[2].split() == ["discord", "1", "0", "0", "0"]
    assert lines[3].split() == ["sms", "0", "0", "0", "1"]
    assert lines[4].split() == ["telegram", "0", "0", "1", "0"]
    dead_section = text.split("Dead letters")[1].split("Waiting")[0]
    assert f"  {ids['dead']}  sms" in dead_section and "twilio 503" in dead_section and "  8  " in dead_section
    waiting_section = text.split("Waiting to be sent:")[1]
    assert "discord" in waiting_section and "next try in" in waiting_section
    fr = cli.outbox_status(config, lang="fr", channel="sms")
    assert "Messages abandonnés" in fr and "telegram" not in fr


def test_retry_by_id_and_all_dead(config):
    ids = _seed(config)
    report = cli.outbox_retry(config, [ids["dead"], ids["sent"], 999])
    assert report.revived == (ids["dead"],)
    assert dict(report.refused) == {ids["sent"]: "already sent; not sending it twice", 999: "no such message"}
    assert cli.format_retry_report(report) == (
        f"Back in the queue: #{ids['dead']}.\nNot retried: #{ids['sent']}: already sent; not sending it twice.\n"
        "Not retried: #999: no such message."
    )
    store = OutboxStore(outbox_path(config))
    row = store.get(ids["dead"])
    assert row.status is MessageStatus.PENDING and row.attempts == 0 and row.last_error.startswith("twilio 503")
    store.mark_failed(ids["dead"], "again", dead=True, next_attempt_ts=0, in_doubt=False)
    store.close()
    assert cli.outbox_retry(config, all_dead=True).revived == (ids["dead"],)
    assert cli.format_retry_report(cli.outbox_retry(config, all_dead=True), "fr") == "Rien à renvoyer."
    with pytest.raises(OutboxError, match="--id N"):
        cli.outbox_retry(config)


def test_register_parses_and_runs(config, capsys):
    parser = argparse.ArgumentParser(prog="mia")
    cli.register(parser.add_subparsers(dest="command", required=True))
    ids = _seed(config)

    args = parser.parse_args(["outbox", "status", "--channel", "sms"])
    assert args.func(args, config) == 0
    assert "twilio 503" in capsys.readouterr().out

    args = parser.parse_args(["outbox", "retry", "--id", str(ids["dead"]), "--id", str(ids["sent"])])
    assert args.func(args, config) == 1  # one id refused
    assert "Back in the queue" in capsys.readouterr().out

    with pytest.raises(SystemExit):
        parser.parse_args(["outbox", "retry", "--id", "1", "--all-dead"])  # one or the other
    with pytest.raises(SystemExit):
        parser.parse_args(["outbox", "retry"])


def test_main_reports_config_errors(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("alert_manager:\n  max_attempts: 0\n", encoding="utf-8")
    assert cli.main(["--config", str(bad), "outbox", "status"]) == 2
    assert "alert_manager.max_attempts" in capsys.readouterr().err


async def test_retry_from_another_process_is_picked_up_by_a_running_outbox(config, tg_fake):
    """`mia outbox retry` only flips rows; the running MIA's worker polls and sends."""
    store = OutboxStore(outbox_path(config))
    (dead,) = store.enqueue_many([NewMessage("telegram", str(CHAT_ID), "revive me", "r")])
    store.mark_failed(dead, "telegram 500", dead=True, next_attempt_ts=0, in_doubt=False)
    store.close()
    async with make_outbox(outbox_path(config), [telegram_channel(tg_fake)]) as ob:
        assert await ob.wait_idle(1)
        assert tg_fake.received == []
        cli.outbox_retry(config, [dead])  # a separate connection, as from another process
        await tg_fake.wait_delivered(1, timeout=5)
        assert await ob.wait_idle(5)
    assert tg_fake.sent_texts() == ["revive me"]
