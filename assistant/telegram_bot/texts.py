"""Chat-only sentences of the Telegram bot, in English and French. Everything the dialogue says
(read-backs, fills, refusals, answers) comes from `assistant.dialogue.answers`; only what is specific to
a chat (access refusal, command usage, button outcomes) lives here."""
from __future__ import annotations

from typing import Any

# key -> (English, French)
TEXTS: dict[str, tuple[str, str]] = {
    # Sent in both languages at once: a stranger's language tells nothing about who should read it.
    "refused_chat": (
        "⛔ Access denied: this chat ({chat_id}) is not allowed to command MIA. Nothing was done.",
        "⛔ Accès refusé : ce chat ({chat_id}) n'est pas autorisé à commander MIA. Rien n'a été fait.",
    ),
    "refused_user": (
        "⛔ Access denied: user {user_id} is not allowed to command MIA. Nothing was done.",
        "⛔ Accès refusé : l'utilisateur {user_id} n'est pas autorisé à commander MIA. Rien n'a été fait.",
    ),
    "before_start": (
        "This message was sent while MIA was not running ({age} ago): nothing was done. Send it again if you "
        "still want it.",
        "Ce message a été envoyé pendant que MIA ne tournait pas (il y a {age}) : rien n'a été fait. Renvoyez-le "
        "si vous le voulez toujours.",
    ),
    "too_old": (
        "Message too old ({age} ago, more than {limit}): nothing was done. Send it again if you still want it.",
        "Message trop ancien (il y a {age}, plus de {limit}) : rien n'a été fait. Renvoyez-le si vous le "
        "voulez toujours.",
    ),
    "forwarded": (
        "A forwarded message is never a command: nothing was done. Type the command yourself.",
        "Un message transféré n'est jamais une commande : rien n'a été fait. Tapez la commande vous-même.",
    ),
    "not_your_button": (
        "Only the person who gave this order can confirm or cancel it. Nothing was done.",
        "Seule la personne qui a donné cet ordre peut le confirmer ou l'annuler. Rien n'a été fait.",
    ),
    "risk_usage": (
        "Usage: /risk PERCENT [ES|MNQ] — the risk per trade in % of equity, for example /risk 1 ES or /risk 0.5.",
        "Usage : /risk POURCENT [ES|MNQ] — le risque par trade en % du capital, par exemple /risk 1 ES ou /risk 0,5.",
    ),
    "risk_bad_percent": (
        "{value!r} is not a percentage.",
        "« {value} » n'est pas un pourcentage.",
    ),
    "risk_bad_symbol": (
        "{value!r} is not a known market (ES or MNQ).",
        "« {value} » n'est pas un marché connu (ES ou MNQ).",
    ),
    "commands": (
        "Commands: /status, /positions, /pnl, /regime, /metrics, /halt (asks to confirm), /resume, "
        "/risk 1 ES, /help. Orders: /buy 2 MNQ, /sell 1 ES 6050.5 (QTY SYMBOL [PRICE]), /flat, "
        "/close ES|MNQ|all, /reduceonly, /autopilot auto|propose|off. Or type an order in English or "
        "French, for example \"buy 2 ES\": every order is read back with Confirm / Cancel buttons.",
        "Commandes : /status, /positions, /pnl, /regime, /metrics, /halt (demande confirmation), /resume, "
        "/risk 1 ES, /help. Ordres : /achat 2 MNQ, /vente 1 ES 6050,5 (QTÉ MARCHÉ [PRIX]), /flat, "
        "/close ES|MNQ|all, /reduceonly, /autopilot auto|propose|off. Ou tapez un ordre en français ou en "
        "anglais, par exemple « achète 2 contrats ES » : tout ordre est relu avec les boutons Confirmer / Annuler.",
    ),
    "not_text": (
        "I only read text messages.",
        "Je ne lis que les messages texte.",
    ),
    "unknown_command": (
        "Unknown command {command}. /help lists the commands.",
        "Commande inconnue {command}. /help donne la liste des commandes.",
    ),
    "button_confirmed": ("Confirmed", "Confirmé"),
    "button_cancelled": ("Cancelled", "Annulé"),
    "button_expired": ("Expired: nothing was done", "Expiré : rien n'a été fait"),
    "button_stale": ("This button is no longer valid: nothing was done", "Ce bouton n'est plus valable : rien n'a été fait"),
    "busy": ("Working on it…", "En cours…"),
}


def text(key: str, lang: str, **values: Any) -> str:
    en, fr = TEXTS[key]
    return (fr if lang == "fr" else en).format(**values)


def duration(seconds: float, lang: str) -> str:
    """"45 s", "3 min", "2 h" (rounded down): how old a message is."""
    s = int(seconds)
    if s < 120:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 172800:
        return f"{s // 3600} h"
    return f"{s // 86400} {'jours' if lang == 'fr' else 'days'}"


def both(key: str, **values: Any) -> str:
    """French then English, for someone whose language is unknown (a stranger)."""
    return f"{text(key, 'fr', **values)}\n{text(key, 'en', **values)}"
