"""Chat slash commands ("/positions", "/pnl", "/risk 1 ES", "/buy 2 MNQ") typed as a sentence.

The Telegram bot (assistant/telegram_bot/bot.py) routes its query commands itself, from the table
below, and hands the action commands to the parser; the same words typed anywhere else (the console,
a pasted message, a bot whose command handler did not fire) reach the parser too. There they mean
exactly the intent the command names, or nothing: a command the bot does not know ("/pnl2"), or
known but with arguments it does not take ("/halt ES"), is refused (reason `unknown_command`). An
unknown command whose words ask a read-only question ("/cvar", "/perf", "/aide") is that question.

Action commands (`ACTION_COMMANDS`) are orders, closes and switches: "/buy QTY SYMBOL [PRICE]"
("/buy 2 MNQ", "/sell 1 ES 6050.5", French "/achat", "/vente"), "/flat [SYMBOL]", "/close
SYMBOL|all", "/reduceonly", "/autopilot auto|propose|off". They are exactly as safe as the typed
sentence: the dialogue reads the action back and acts only on an explicit confirmation, then the risk
gate checks it. Their arguments follow a strict grammar (a quantity in digits, a market symbol, a
price in digits, in that order): anything else is refused (reason `command_usage`) with the usage,
never guessed. "/autopilot" alone asks the autopilot's state.

Arguments of the query commands: "/positions ES", "/regime MNQ" take one market; "/risk PERCENT
[MARKET]" the risk per trade ("/risk 1 ES", "/risk 0,5", "/risk 1% MNQ"). "/cmd@botname" is the
command addressed to a bot in a group chat.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ACTION_COMMANDS", "COMMAND_INTENTS", "SYMBOL_ARG", "RISK_COMMAND", "ActionCommand", "SlashCommand",
           "action_slots", "slash_command"]

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



@dataclass(frozen=True, slots=True)
class ActionCommand:
    """An order, close or switch command: its `intent`, the slots its name says (`fixed`), and its
    arguments in order (`args`): "quantity" (digits), "symbol", "price" (digits, "." or ","),
    "target" (a symbol, or "all"/"tout": every market), "mode" (auto, propose, off); a kind ending
    in "?" may be left out. `usage` is what the refusal shows."""

    intent: str
    fixed: tuple[tuple[str, str], ...]
    args: tuple[str, ...]
    usage: str


_BUY = ActionCommand("place_trade", (("side", "BUY"),), ("quantity", "symbol", "price?"), "QTY SYMBOL [PRICE]")
_SELL = ActionCommand("place_trade", (("side", "SELL"),), ("quantity", "symbol", "price?"), "QTY SYMBOL [PRICE]")
_CLOSE = ActionCommand("close_positions", (), ("target",), "ES|MNQ|all")
#: Action commands (names as Telegram allows them: Latin letters, digits, "_").
ACTION_COMMANDS: dict[str, ActionCommand] = {
    "buy": _BUY, "achat": _BUY, "achete": _BUY,
    "sell": _SELL, "vente": _SELL, "vends": _SELL,
    "flat": ActionCommand("close_positions", (("scope", "all"),), ("target?",), "[ES|MNQ]"),
    "close": _CLOSE, "ferme": _CLOSE,
    "reduceonly": ActionCommand("reduce_only", (), (), ""),
    "reduce_only": ActionCommand("reduce_only", (), (), ""),
    "autopilot": ActionCommand("autopilot_mode", (), ("mode",), "auto|propose|off"),
}
#: Words of the "target" argument that mean every market, and the autopilot's modes.
ALL_WORDS = frozenset({"all", "tout", "tous", "everything"})
AUTOPILOT_MODES = frozenset({"auto", "propose", "off"})
#: A quantity and a price as the strict grammar takes them: digits ("6050.5", "6050,5").
QUANTITY_ARG = re.compile(r"\d+")
PRICE_ARG = re.compile(r"\d+(?:[.,]\d+)?")

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


def action_slots(action: ActionCommand, args: str,
                 convert: Callable[[str, str], object | None]) -> dict[str, object] | None:
    """The slots of an action command's arguments under its strict grammar, or None when they are
    anything else. `convert(slot, word)` is the slot's value of one normalised word ("quantity",
    "symbol", "price"), or None when the word is not one."""
    slots: dict[str, object] = dict(action.fixed)
    words = args.split()
    kinds = list(action.args)
    while kinds and len(kinds) > len(words) and kinds[-1].endswith("?"):
        kinds.pop()
    if len(words) != len(kinds):
        return None
    for kind, word in zip(kinds, words):
        kind = kind.rstrip("?")
        value: object | None
        if kind == "target":
            if word in ALL_WORDS:
                slots["scope"] = "all"
                continue
            kind = "symbol"
            slots.pop("scope", None)
        if kind == "mode":
            value = word if word in AUTOPILOT_MODES else None
        elif kind == "quantity" and not QUANTITY_ARG.fullmatch(word) \
                or kind == "price" and not PRICE_ARG.fullmatch(word):
            value = None
        else:
            value = convert(kind, word.replace(",", ".") if kind == "price" else word)
        if value is None:
            return None
        slots[kind] = value
    return slots
