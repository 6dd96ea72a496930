"""Chat slash commands ("/positions", "/pnl", "/risk 1 ES") typed as a sentence.

The Telegram bot (assistant/telegram_bot/bot.py) routes its commands itself, from the table
below; the same words typed anywhere else (the console, a pasted message, a bot whose command
handler did not fire) reach the parser. There they mean exactly the intent the command names, or
nothing: a command the bot does not know ("/flat", "/buy 2 ES"), or known but with arguments it
does not take ("/halt ES"), is refused (reason `unknown_command`). The one exception: an unknown
command whose words ask a read-only question ("/cvar", "/perf", "/aide") is that question. An
order, a close or a switch is never a slash command.

Arguments: "/positions ES", "/regime MNQ" take one market; "/risk PERCENT [MARKET]" the risk per
trade ("/risk 1 ES", "/risk 0,5", "/risk 1% MNQ"). "/cmd@botname" is the command addressed to a bot
in a group chat.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["COMMAND_INTENTS", "SYMBOL_ARG", "RISK_COMMAND", "SlashCommand", "slash_command"]

#: Slash command -> intent (the bot's commands; /risk takes arguments, see `RISK_COMMAND`).
COMMAND_INTENTS: dict[str, str] = {
    "status": "status",
    "positions": "positions",
    "pnl": "pnl_today",
    "regime": "market_regime",
    "metrics": "performance_metrics",
    "halt": "halt",
    "resume": "resume",
    "help": "help",
    "start": "help",  # what Telegram sends when a user opens the chat
}
#: Commands whose optional argument is one market (/positions ES, /regime MNQ).
SYMBOL_ARG = frozenset({"positions", "regime"})
#: The command that sets the risk per trade: "/risk PERCENT [MARKET]".
RISK_COMMAND = "risk"

# "/name", "/name@bot", then the arguments. Telegram command names: Latin letters, digits, "_".
_SLASH = re.compile(r"\s*/([A-Za-z0-9_]+)(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?\s*", re.DOTALL)


@dataclass(frozen=True, slots=True)
class SlashCommand:
    """A typed slash command: its `name` (lower case, bot suffix dropped), the `intent` it names
    (None for a command the bot does not know) and its raw `args` ("" when none)."""

    name: str
    intent: str | None
    args: str


def slash_command(text: str) -> SlashCommand | None:
    """The slash command `text` is, or None when it does not start with one ("1/2", "buy 2 ES")."""
    match = _SLASH.fullmatch(text)
    if match is None:
        return None
    name = match.group(1).lower()
    intent = "set_risk" if name == RISK_COMMAND else COMMAND_INTENTS.get(name)
    return SlashCommand(name, intent, (match.group(2) or "").strip())
