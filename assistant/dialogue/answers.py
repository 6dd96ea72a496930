"""French and English answer templates, with locale-correct numbers.

Numbers, money and percentages go through the one set of locale formatters of the project
(`assistant.present`): English "10,000.5", "2.5%", "$500.00", French "10 000,5", "2,5 %", "500,00 $".

`for_speech` turns an answer into what the synthesiser should read (`assistant.present.speech`):
contract symbols and "P&L" spelled, amounts and numbers in words. The written text keeps the symbols,
since it is also shown on screen and copied to the chat channels.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from assistant.present.money import format_money
from assistant.present.numbers import format_number, format_percent
from assistant.present.speech import for_speech as _for_speech
from trading_core.types import (
    EngineStatus,
    OrderType,
    PerformanceMetrics,
    PnLSummary,
    Position,
    Side,
    TradingState,
)

__all__ = [
    "TEXTS", "HELP_EXAMPLES", "INTENT_EXAMPLES", "not_understood_text", "text", "for_speech", "confirm_labels", "side_word", "contracts", "signed_money",
    "order_phrase", "reason_text", "render_positions", "render_pnl", "render_status", "render_metrics",
    "render_regime", "render_top_features", "render_cvar", "render_quantiles", "render_ensemble",
]

# key -> (English, French). Placeholders are filled with values already formatted for the language.
TEXTS: dict[str, tuple[str, str]] = {
    "not_understood": ("I did not understand, can you repeat?", "Je n'ai pas compris, pouvez-vous répéter ?"),
    "confirm_question": ("Do you confirm?", "Confirmez-vous ?"),
    "nothing_to_confirm": ("There is nothing to confirm.", "Il n'y a rien à confirmer."),
    "nothing_to_cancel": ("There is nothing to cancel.", "Il n'y a rien à annuler."),
    "nothing_to_repeat": ("I have not said anything yet.", "Je n'ai encore rien dit."),
    "stale_confirmation": (
        "This confirmation is no longer valid; nothing was done.",
        "Cette confirmation n'est plus valable ; rien n'a été fait.",
    ),
    # what a discarded action means, per action kind (used by cancelled / expired / discarded)
    "not_done.order": ("the order was not sent", "l'ordre n'a pas été envoyé"),
    "not_done.close": ("no position was closed", "aucune position n'a été fermée"),
    "not_done.halt": ("trading was not halted", "le trading n'a pas été arrêté"),
    "not_done.reduce_only": ("reduce-only mode was not turned on", "le mode réduction seule n'a pas été activé"),
    "not_done.resume": ("trading was not resumed", "le trading n'a pas repris"),
    "not_done.set_risk": ("the risk per trade was not changed", "le risque par trade n'a pas été changé"),
    "not_done.autopilot_mode": ("the autopilot was not switched", "le pilote automatique n'a pas été changé"),
    "not_done.autopilot_signal": ("the autopilot's signal was not traded", "le signal du pilote automatique n'a pas été tradé"),
    # follow-up questions: what an unanswered question leaves undone, per intent
    "not_done.ask.place_trade": ("no order was prepared", "aucun ordre n'a été préparé"),
    "not_done.ask.close_positions": ("nothing was closed", "rien n'a été fermé"),
    "not_done.ask.set_risk": ("the risk was not changed", "le risque n'a pas été modifié"),
    "not_done.ask": ("nothing was done", "rien n'a été fait"),
    "cancelled": ("Cancelled: {not_done}.", "Annulé : {not_done}."),
    "expired": (
        "No confirmation within {seconds}: {not_done}.",
        "Pas de confirmation en {seconds} : {not_done}.",
    ),
    "too_late": (
        "Too late: the {seconds} to confirm had run out, so {not_done}.",
        "Trop tard : le délai de {seconds} pour confirmer était dépassé, donc {not_done}.",
    ),
    "discarded": ("Previous request cancelled: {not_done}.", "Demande précédente annulée : {not_done}."),
    "input_closed": ("Input closed before a confirmation: {not_done}.", "Entrée fermée avant une confirmation : {not_done}."),
    # ambiguity and incomplete commands: explain, never guess
    "ambiguous_symbol": (
        "I heard two symbols, so I will not guess. Please say the command again with one symbol, ES or MNQ.",
        "J'ai entendu deux symboles, je ne devine pas. Répétez la commande avec un seul symbole, ES ou MNQ.",
    ),
    "ambiguous_quantity": (
        "I heard two quantities, so I will not guess. Please say the command again with one quantity.",
        "J'ai entendu deux quantités, je ne devine pas. Répétez la commande avec une seule quantité.",
    ),
    "ambiguous_side": (
        "I did not clearly hear buy or sell, so I will not guess. Please say the command again.",
        "Je n'ai pas clairement entendu achat ou vente, je ne devine pas. Répétez la commande.",
    ),
    "ambiguous_price": (
        "I heard two prices, so I will not guess. Please say the command again with one price.",
        "J'ai entendu deux prix, je ne devine pas. Répétez la commande avec un seul prix.",
    ),
    "ambiguous_order_type": (
        "I heard a market order and a limit price at once, so I will not guess. Please say the order again: "
        "at market, or with one limit price.",
        "J'ai entendu un ordre au marché et un prix limite à la fois, je ne devine pas. Répétez l'ordre : "
        "au marché, ou avec un seul prix limite.",
    ),
    "ambiguous_risk_percent": (
        "I heard two percentages, so I will not guess. Please say the command again with one percentage.",
        "J'ai entendu deux pourcentages, je ne devine pas. Répétez la commande avec un seul pourcentage.",
    ),
    "ambiguous_intent": (
        "That could mean two different commands, so I will not guess. Please rephrase.",
        "Cette phrase peut correspondre à deux commandes, je ne devine pas. Reformulez, s'il vous plaît.",
    ),
    "ambiguous_other": (
        "I heard two values for the {slot}, so I will not guess. Please say the command again.",
        "J'ai entendu deux valeurs pour {slot_fr}, je ne devine pas. Répétez la commande.",
    ),
    # orders carrying what MIA cannot honour (assistant/nlu/order_extras.py): refused, never executed without it
    "unsupported_stop": (
        "I can't attach a stop to an order: I place market or limit orders only. Nothing was done; "
        "say the order without the stop.",
        "Je ne sais pas attacher un stop à un ordre : je ne passe que des ordres au marché ou à cours limité. "
        "Rien n'a été fait ; redites l'ordre sans le stop.",
    ),
    "unsupported_target": (
        "I can't attach a take-profit to an order: I place market or limit orders only. Nothing was done; "
        "say the order without the target.",
        "Je ne sais pas attacher un objectif de gain à un ordre : je ne passe que des ordres au marché ou à "
        "cours limité. Rien n'a été fait ; redites l'ordre sans l'objectif.",
    ),
    "unsupported_time": (
        "I can't schedule an order for later: I act now only. Nothing was done; say it again when you want it done.",
        "Je ne sais pas programmer un ordre pour plus tard : j'agis tout de suite seulement. Rien n'a été fait ; "
        "redites-le au moment voulu.",
    ),
    "unsupported_condition": (
        "I can't place a conditional order: I act now, unconditionally. Nothing was done; say the order when "
        "the condition is met, or give a limit price.",
        "Je ne sais pas passer un ordre conditionnel : j'agis tout de suite, sans condition. Rien n'a été fait ; "
        "redites l'ordre quand la condition est remplie, ou donnez un prix limite.",
    ),
    "unsupported_order_type": (
        "I can't place that kind of order: I place plain market or limit orders only (no post-only, fill-or-kill, "
        "iceberg, TWAP or split orders). Nothing was done; say the order without it.",
        "Je ne sais pas passer ce type d'ordre : je ne passe que des ordres simples au marché ou à cours limité "
        "(pas de post-only, tout-ou-rien, iceberg, TWAP ni d'ordre fractionné). Rien n'a été fait ; redites l'ordre "
        "sans cette consigne.",
    ),
    "unsupported_object": (
        "That names a chart or a window, not a position: I don't handle the screen. Nothing was done; to close a "
        "position, say for example “close ES”.",
        "Cela désigne un graphique ou une fenêtre, pas une position : je ne gère pas l'écran. Rien n'a été fait ; "
        "pour fermer une position, dites par exemple « ferme l'ES ».",
    ),
    "unsupported_indirect": (
        "That sounds like an order talked about (someone else's, one to avoid, plan or remember), not one given "
        "now. Nothing was done; to place it, say it plainly, for example “buy 2 ES”.",
        "Cela ressemble à un ordre dont on parle (celui d'un autre, à éviter, à prévoir ou à me rappeler), pas à "
        "passer maintenant. Rien n'a été fait ; pour le passer, dites-le simplement, par exemple « achète 2 ES ».",
    ),
    "paper_in_live": (
        "I am trading live, for real: I can't place a paper trade from here, and I won't send it live. Nothing "
        "was done. Start MIA in paper mode to practise, or say the command without “paper”.",
        "Je suis en réel : je ne peux pas passer de trade papier d'ici, et je ne l'envoie pas en réel. Rien n'a "
        "été fait. Lancez MIA en mode papier pour vous entraîner, ou redites la commande sans « papier ».",
    ),
    "ambiguous_index": (
        "The Nasdaq: the full-size contract (NQ), which I don't trade, or the micro (MNQ)? Say for example "
        "“buy 2 MNQ”. Nothing was done.",
        "Le Nasdaq : le contrat plein (NQ), que je ne traite pas, ou le micro (MNQ) ? Dites par exemple "
        "« achète 2 MNQ ». Rien n'a été fait.",
    ),
    "unsupported_market": (
        "I only trade two markets, ES (the E-mini S&P 500) and MNQ (the Micro Nasdaq-100), and that is not "
        "one of them. Nothing was done.",
        "Je ne traite que deux marchés, ES (l'E-mini S&P 500) et MNQ (le Micro Nasdaq-100), et celui-ci n'en "
        "fait pas partie. Rien n'a été fait.",
    ),
    "unsupported_quote": (
        "I don't give market prices: I report positions, P&L and the models' figures. Ask for example "
        "“what are my positions” or “what is the market regime”.",
        "Je ne donne pas les cours : je rapporte les positions, le P&L et les chiffres des modèles. Demandez "
        "par exemple « montre mes positions » ou « quel est le régime de marché ».",
    ),
    "unknown_command": (
        "That is not one of my commands, or not with those words after it: nothing was done. /help lists "
        "the commands; an order is typed as a sentence, for example “buy 2 ES”, or as /buy 2 ES.",
        "Ce n'est pas une de mes commandes, ou pas avec ces mots après : rien n'a été fait. /help donne la "
        "liste des commandes ; un ordre s'écrit en phrase, par exemple « achète 2 ES », ou /achat 2 ES.",
    ),
    "command_usage": (
        "That command does not take those words: nothing was done. Orders as commands: /buy QTY SYMBOL "
        "[PRICE] or /sell (for example /buy 2 MNQ, /sell 1 ES 6050.5), /flat, /close ES|MNQ|all, "
        "/reduceonly, /autopilot auto|propose|off. Each one is read back before anything is done.",
        "Cette commande ne prend pas ces mots : rien n'a été fait. Les ordres en commande : /achat QTÉ "
        "MARCHÉ [PRIX] ou /vente (par exemple /achat 2 MNQ, /vente 1 ES 6050,5), /flat, /close ES|MNQ|all, "
        "/reduceonly, /autopilot auto|propose|off. Chacun est relu avant que rien ne soit fait.",
    ),
    "unsupported_two_orders": (
        "That is two commands in one sentence: nothing was done. Please say them one at a time.",
        "Ce sont deux commandes dans une même phrase : rien n'a été fait. Dites-les une à la fois.",
    ),
    "missing_quantity": (
        "How many contracts? Please say the whole order again, for example: buy 2 ES.",
        "Combien de contrats ? Répétez l'ordre complet, par exemple : achète 2 contrats ES.",
    ),
    "missing_symbol": (
        "Which contract, ES or MNQ? Please say the whole command again.",
        "Sur quel contrat, ES ou MNQ ? Répétez la commande complète.",
    ),
    "missing_side": (
        "Buy or sell? Please say the whole order again.",
        "Achat ou vente ? Répétez l'ordre complet.",
    ),
    "missing_risk_percent": (
        "What percentage? For example: set risk to 1 percent on ES.",
        "Quel pourcentage ? Par exemple : mets le risque à 1 % sur ES.",
    ),
    "missing_mode": (
        "Which autopilot mode: proposals, automatic or off? Please say the whole command, for example: "
        "switch the autopilot to automatic.",
        "Quel mode pour l'autopilote : propositions, automatique ou coupé ? Dites la commande en entier, "
        "par exemple : passe l'autopilote en automatique.",
    ),
    "missing_other": (
        "Something is missing in that command ({slot}). Please say it again in full.",
        "Il manque un élément dans cette commande ({slot_fr}). Répétez-la en entier.",
    ),
    "invalid_quantity": (
        "The quantity must be a whole number of contracts. Please say the order again.",
        "La quantité doit être un nombre entier de contrats. Répétez l'ordre.",
    ),
    "invalid_price": ("That price is not valid. Please say the order again.", "Ce prix n'est pas valide. Répétez l'ordre."),
    "invalid_risk_percent": (
        "That percentage is not valid. Please say it again.",
        "Ce pourcentage n'est pas valide. Répétez, s'il vous plaît.",
    ),
    "invalid_other": (
        "The {slot} I heard is not valid. Please say the command again.",
        "{slot_fr_cap} entendu n'est pas valide. Répétez la commande.",
    ),
    # follow-up questions ("buy ES" -> "Buy ES: how many contracts?")
    "ask.quantity": ("How many contracts?", "Combien de contrats ?"),
    "ask.symbol": ("Which market, ES or MNQ?", "Sur quel marché, ES ou MNQ ?"),
    "ask.symbol.close_positions": ("Which market, ES, MNQ or everything?", "Quel marché, ES, MNQ ou tout ?"),
    "ask.side": ("Buy or sell?", "Achat ou vente ?"),
    "ask.risk_percent": ("What percentage of risk per trade?", "Quel pourcentage de risque par trade ?"),
    "ask.context": ("{context}: {question}", "{context} : {question}"),
    "ask.close": ("Close", "Fermer"),
    "ask.set_risk": ("Risk per trade{where}", "Risque par trade{where}"),
    "ask.buy": ("Buy", "Achat"),
    "ask.sell": ("Sell", "Vente"),
    "ask.order": ("New order", "Nouvel ordre"),
    "followup.dropped": ("Question dropped.", "Question abandonnée."),
    "followup.expired": ("No answer within {seconds}: {not_done}.", "Pas de réponse en {seconds} : {not_done}."),
    "followup.again": ("I did not understand. {question}", "Je n'ai pas compris. {question}"),
    "followup.no_confirm_yet": ("Nothing to confirm yet. {question}", "Rien à confirmer pour l'instant. {question}"),
    "followup.conflict": (
        "That answer does not fit the command, so the question is dropped: {not_done}.",
        "Cette réponse ne correspond pas à la commande, question abandonnée : {not_done}.",
    ),
    "no_question": (
        "No question is pending. Say the whole command, for example: buy 2 ES.",
        "Aucune question en attente. Dites la commande complète, par exemple : achète 2 contrats ES.",
    ),
    # an answer to a read-back with more than a yes or a no in it ("ok, put it back", "oui plus tard")
    "answer_unclear": (
        "I did not understand your answer, nothing is done yet. {summary} Say yes to go ahead, or no to drop it.",
        "Je n'ai pas compris votre réponse, rien n'est fait pour l'instant. {summary} Dites oui pour continuer, "
        "ou non pour abandonner.",
    ),
    "say_yes": (
        "To go ahead, say yes or confirm; to drop it, say no.",
        "Pour continuer, dites oui ou je confirme ; pour abandonner, dites non.",
    ),
    # an order on contracts already held ("sell my 3 ES"): a close, or a new order?
    "held_contracts": (
        "You named contracts you already hold: to close them, say for example “close ES”; for a new order, “sell 3 ES”. Nothing was done.",
        "Vous parlez de contrats déjà en position : pour les fermer, dites par exemple « ferme ES » ; pour un nouvel ordre, « vends 3 ES ». Rien n'a été fait.",
    ),
    # a greeting alone ("bonjour", "hello MIA")
    "greeting": (
        "Hello! Say for example “buy two ES contracts” or “what is the market regime?”; say “help” for more.",
        "Bonjour ! Dites par exemple « achète deux contrats ES » ou « quel est le régime de marché ? » ; dites « aide » pour en savoir plus.",
    ),
    # small talk alone ("how are you?", the weather, sport): nothing MIA answers
    "small_talk": (
        "I can only help with your trading. Say for example “buy two ES contracts” or “what is the market regime?”; say “help” for more.",
        "Je ne peux vous aider que pour votre trading. Dites par exemple « achète deux contrats ES » ou « quel est le régime de marché ? » ; dites « aide » pour en savoir plus.",
    ),
    # refusals with examples of the nearest command
    "not_understood_for": (
        "I did not understand. For {topic}, you can say: “{first}” or “{second}”.",
        "Je n'ai pas compris. Pour {topic}, vous pouvez dire : « {first} » ou « {second} ».",
    ),
    # read-backs
    # results of actions
    "filled": ("Done: {past} {qty} {symbol} at {price}.", "Exécuté : {side} {qty} {symbol} à {price}."),
    "filled_partly": (
        "Partly done: {past} {filled} of {qty} {symbol} at {price}; the rest is working.",
        "Exécuté en partie : {side} {filled} sur {qty} {symbol} à {price} ; le reste est en attente.",
    ),
    "order_sent": ("Order sent: {side} {qty} {symbol} {how}; waiting for the fill.", "Ordre envoyé : {side} {qty} {symbol} {how}, en attente d'exécution."),
    "order_working": ("Order working: {side} {qty} {symbol} {how}.", "Ordre en attente : {side} {qty} {symbol} {how}."),
    "order_refused": ("The order was refused.", "L'ordre a été refusé."),
    "order_duplicate": ("That order was already sent; nothing new was done.", "Cet ordre a déjà été envoyé ; rien de nouveau n'a été fait."),
    "closed_all": ("All positions are closed.", "Toutes les positions sont fermées."),
    "closed_symbol": ("The {symbol} position is closed.", "La position {symbol} est fermée."),
    "closing_sent": (
        "Closing orders sent for {symbols}{cancelled}; waiting for the fills.",
        "Ordres de fermeture envoyés pour {symbols}{cancelled}, en attente d'exécution.",
    ),
    "close_in_progress": (
        "A closing order for {symbols} is already working; nothing new was sent. Waiting for its fill.",
        "Un ordre de fermeture pour {symbols} est déjà en cours ; rien de nouveau n'a été envoyé. En attente de son exécution.",
    ),
    "cancelled_working": ("{orders} cancelled", "{orders} annulés"),
    "close_cancel_only": ("{orders} cancelled; there was no position to close.", "{orders} annulés ; il n'y avait aucune position à fermer."),
    "halted": (
        "Trading halted: no new orders. Closing positions is still allowed.",
        "Trading arrêté : plus aucun nouvel ordre. La fermeture des positions reste possible.",
    ),
    "resumed": ("Trading resumed.", "Trading repris."),
    "reduce_only_on": (
        "Reduce-only mode on: only orders that shrink positions are accepted. Say resume trading to leave it.",
        "Mode réduction seule activé : seuls les ordres qui réduisent les positions sont acceptés. Dites « reprends le trading » pour en sortir.",
    ),
    "default_market": (" on {symbol} (the default market)", " sur {symbol} (marché par défaut)"),
    "already_active": ("Trading is already active.", "Le trading est déjà actif."),
    "risk_set": ("Risk per trade set to {pct}{where}.", "Risque par trade fixé à {pct}{where}."),
    "risk_readback": ("Risk per trade: {pct}{where}.", "Risque par trade : {pct}{where}."),
    "engine_error": (
        "Something went wrong while {doing}: {error}. Nothing else was done.",
        "Une erreur est survenue pendant {doing_fr} : {error}. Rien d'autre n'a été fait.",
    ),
    # queries
    "positions.none": ("You have no open position.", "Vous n'avez aucune position ouverte."),
    "positions.none_symbol": ("You have no {symbol} position.", "Vous n'avez pas de position {symbol}."),
    "positions.one": ("You have one position: {items}.", "Vous avez une position : {items}."),
    "positions.many": ("You have {n} positions: {items}.", "Vous avez {n} positions : {items}."),
    "position.item": ("{side} {qty} {symbol} at {price}, {pnl}", "{side} {qty} {symbol} à {price}, {pnl}"),
    "pnl": (
        "Today's P&L: {total} (realized {realized}, unrealized {unrealized}, commissions {commissions}), {fills}.",
        "Résultat du jour : {total} (réalisé {realized}, latent {unrealized}, commissions {commissions}), {fills}.",
    ),
    "status": (
        "Trading is {state}, {mode} mode, market {market}. Equity {equity}; today's P&L {pnl}; {positions}, {orders}; "
        "risk per trade {risk}. Broker {broker}.",
        "Trading {state}, mode {mode}, marché {market}. Valeur du compte {equity} ; résultat du jour {pnl} ; {positions}, "
        "{orders} ; risque par trade {risk}. Courtier {broker}.",
    ),
    "metrics.none": (
        "No closed trade yet, so there are no performance figures.",
        "Aucun trade clôturé pour l'instant, donc pas encore de statistiques de performance.",
    ),
    "metrics": (
        "{trades}, win rate {win_rate}, profit factor {pf}, net result {net}, largest loss {largest_loss}, "
        "maximum drawdown {dd} ({dd_pct}).",
        "{trades}, taux de réussite {win_rate}, facteur de profit {pf}, résultat net {net}, plus grosse perte "
        "{largest_loss}, drawdown maximal {dd} ({dd_pct}).",
    ),
    "metrics.no_loss": ("no losing trade", "aucun trade perdant"),
    "regime": ("{symbol} market regime: {name}, probability {prob}.", "Régime de marché {symbol} : {name}, probabilité {prob}."),
    "regime.unknown": ("{symbol} market regime: {name}.", "Régime de marché {symbol} : {name}."),
    "features": ("Top features: {items}.", "Principales variables : {items}."),
    "features.none": ("No feature importance is available yet.", "Aucune importance de variable n'est encore disponible."),
    "cvar": (
        "{market} CVaR at {level}: an average loss of {cvar} per contract in the worst cases, value at risk {var}, "
        "over {episodes} test episodes{within}.",
        "CVaR {market} à {level} : une perte moyenne de {cvar} par contrat dans les pires cas, VaR {var}, "
        "sur {episodes} épisodes de test{within}.",
    ),
    "cvar.within": (", within the {limit} limit", ", sous la limite de {limit}"),
    "cvar.above": (", above the {limit} limit", ", au-dessus de la limite de {limit}"),
    "quantiles": (
        "{market} QR-DQN: best action {best}. Expected value: {expected}. For {best}, a gain has probability {p_gain}, "
        "and 80% of outcomes lie between {low} and {high}.",
        "QR-DQN {market} : meilleure action {best}. Espérance : {expected}. Pour {best}, probabilité de gain {p_gain}, "
        "et 80 % des résultats entre {low} et {high}.",
    ),
    "ensemble": ("{market} ensemble weights: {weights}.", "Poids de l'ensemble {market} : {weights}."),
    "ensemble.action": (
        " Combined action {action}, target position {target}.",
        " Action combinée {action}, position cible {target}.",
    ),
    "understood_as": ("About {what}: {answer}", "Voici {what_fr} : {answer}"),
    # an order or a close worded freely, read by the parser's learned command reader: said as a guess
    "learned_readback": ("If I understood you correctly: {readback}", "Si je vous ai bien compris : {readback}"),
    "query_failed": ("I could not get {what}: {error}", "Je n'ai pas pu obtenir {what_fr} : {error}"),
    "help": (
        "You can say, for example: {examples}. I read orders, closing and halting back: say yes to confirm, "
        "or no to cancel.",
        "Vous pouvez dire par exemple : {examples}. Je relis les ordres, les fermetures et l'arrêt : dites oui "
        "pour confirmer, ou non pour annuler.",
    ),
}

# Example commands read out by "help" (a test parses every one of them to its intent).
HELP_EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("buy 2 ES", "place_trade"),
        ("sell 1 MNQ at 21000", "place_trade"),
        ("close all positions", "close_positions"),
        ("close ES", "close_positions"),
        ("set risk to 1 percent on ES", "set_risk"),
        ("show my positions", "positions"),
        ("what is my P&L today", "pnl_today"),
        ("status", "status"),
        ("what is the market regime", "market_regime"),
        ("show performance metrics", "performance_metrics"),
        ("top SHAP features", "shap_features"),
        ("what is the CVaR", "cvar_loss"),
        ("show the QR-DQN quantiles", "qr_quantiles"),
        ("ensemble weights", "ensemble_weights"),
        ("stop trading", "halt"),
        ("reduce only", "reduce_only"),
        ("resume trading", "resume"),
        ("repeat", "repeat"),
    ),
    "fr": (
        ("achète 2 contrats ES", "place_trade"),
        ("vends 1 MNQ à 21000", "place_trade"),
        ("ferme tout", "close_positions"),
        ("ferme ES", "close_positions"),
        ("mets le risque à 1 % sur ES", "set_risk"),
        ("mes positions", "positions"),
        ("résultat du jour", "pnl_today"),
        ("statut", "status"),
        ("quel est le régime de marché", "market_regime"),
        ("mes performances", "performance_metrics"),
        ("variables SHAP", "shap_features"),
        ("quelle est la CVaR", "cvar_loss"),
        ("quantiles QR-DQN", "qr_quantiles"),
        ("poids de l'ensemble", "ensemble_weights"),
        ("arrête tout", "halt"),
        ("mode réduction seule", "reduce_only"),
        ("reprends le trading", "resume"),
        ("répète", "repeat"),
    ),
}

# Per intent: what it is about (for "for {topic}, you can say…") and two example sentences per
# language, offered when a sentence comes close to that intent but is not understood. A test
# parses every example to its intent.
INTENT_EXAMPLES: dict[str, dict[str, tuple[str, str, str]]] = {
    "place_trade": {"en": ("an order", "buy 2 ES", "sell 1 MNQ at 21000"),
                    "fr": ("un ordre", "achète 2 contrats ES", "vends 1 MNQ à 21000")},
    "close_positions": {"en": ("closing", "close all positions", "close my ES position"),
                        "fr": ("fermer", "ferme toutes les positions", "ferme la position ES")},
    "set_risk": {"en": ("the risk", "set risk to 1 percent on ES", "risk half a percent per trade"),
                 "fr": ("le risque", "mets le risque à 1 % sur ES", "risque un demi pour cent par trade")},
    "reduce_only": {"en": ("reduce-only mode", "reduce only", "only reduce positions"),
                    "fr": ("le mode réduction", "réduis seulement", "passe en mode réduction")},
    "market_regime": {"en": ("the market regime", "what is the market regime", "is ES trending"),
                      "fr": ("le régime de marché", "quel est le régime de marché", "le marché est en tendance ?")},
    "performance_metrics": {"en": ("performance", "show recent performance metrics", "what's my win rate"),
                            "fr": ("les performances", "affiche les métriques de performance", "c'est quoi mon taux de réussite")},
    "shap_features": {"en": ("the model's features", "top SHAP features", "which features matter most"),
                      "fr": ("les variables du modèle", "principales variables SHAP", "quelles variables comptent le plus")},
    "cvar_loss": {"en": ("the tail risk", "what is the CVaR", "expected shortfall"),
                  "fr": ("le risque extrême", "quelle est la perte CVaR", "quel est le risque de queue")},
    "qr_quantiles": {"en": ("the return distribution", "show the QR-DQN quantiles", "return distribution"),
                     "fr": ("la distribution des rendements", "quels sont les quantiles QR-DQN", "distribution des rendements")},
    "ensemble_weights": {"en": ("the ensemble", "show the ensemble weights", "how are the models weighted"),
                         "fr": ("l'ensemble", "affiche les poids de l'ensemble", "comment sont pondérés les modèles")},
    "positions": {"en": ("positions", "show my positions", "am I long ES"),
                  "fr": ("les positions", "montre mes positions", "suis-je long sur ES")},
    "pnl_today": {"en": ("today's result", "what's my P&L today", "am I up today"),
                  "fr": ("le résultat du jour", "quel est mon P&L du jour", "combien j'ai gagné aujourd'hui")},
    "status": {"en": ("the system", "status", "is trading active"),
               "fr": ("le système", "statut du système", "le trading est actif ?")},
    "halt": {"en": ("halting", "stop trading", "kill switch"),
             "fr": ("l'arrêt", "arrête le trading", "arrêt d'urgence")},
    "resume": {"en": ("resuming", "resume trading", "start trading again"),
               "fr": ("la reprise", "reprends le trading", "recommence à trader")},
    "confirm": {"en": ("confirming", "yes", "confirm"),
                "fr": ("confirmer", "oui", "je confirme")},
    "cancel": {"en": ("cancelling", "no", "cancel"),
               "fr": ("annuler", "non", "annule")},
    "repeat": {"en": ("repeating", "repeat", "say that again"),
               "fr": ("répéter", "répète", "tu peux répéter")},
    "help": {"en": ("help", "help", "what can you do"),
             "fr": ("l'aide", "aide", "qu'est-ce que tu sais faire")},
}

_SLOT_NAMES = {
    # slot -> (English noun, French noun with article, French capitalised for sentence start)
    "symbol": ("symbol", "le symbole", "Le symbole"),
    "quantity": ("quantity", "la quantité", "La quantité"),
    "side": ("side", "le sens", "Le sens"),
    "price": ("price", "le prix", "Le prix"),
    "risk_percent": ("percentage", "le pourcentage", "Le pourcentage"),
    "scope": ("scope", "la portée", "La portée"),
}


def text(key: str, lang: str, **values: Any) -> str:
    en, fr = TEXTS[key]
    return (fr if lang == "fr" else en).format(**values)


def confirm_labels(lang: str) -> tuple[str, str]:
    """Button labels for a chat front end: (confirm, cancel)."""
    return ("Confirmer", "Annuler") if lang == "fr" else ("Confirm", "Cancel")


# ---------------------------------------------------------------------------- speech
def for_speech(answer: str, lang: str) -> str:
    return _for_speech(answer, lang)


# ---------------------------------------------------------------------------- small words
def side_word(side: Side | str, lang: str, *, past: bool = False) -> str:
    """Read-back side: English "Buy"/"Sell" (past "bought"/"sold"), French "long"/"short"."""
    buy = (side.value if isinstance(side, Side) else str(side)).upper() == "BUY"
    if lang == "fr":
        return "long" if buy else "short"
    if past:
        return "bought" if buy else "sold"
    return "buy" if buy else "sell"


def contracts(n: int, lang: str, *, with_noun: bool | None = None) -> str:
    """Quantity as read back: English "2" (the symbol follows), French "2 contrats" / "1 contrat"."""
    number = format_number(n, lang)
    if with_noun is None:
        with_noun = lang == "fr"
    if not with_noun:
        return number
    if lang == "fr":
        return f"{number} {'contrat' if abs(n) < 2 else 'contrats'}"
    return f"{number} {'contract' if abs(n) == 1 else 'contracts'}"


def count(n: int, lang: str, en_one: str, en_many: str, fr_one: str, fr_many: str) -> str:
    number = format_number(n, lang)
    if lang == "fr":
        return f"{number} {fr_one if abs(n) < 2 else fr_many}"
    return f"{number} {en_one if abs(n) == 1 else en_many}"


def working_orders(n: int, lang: str) -> str:
    return count(n, lang, "working order", "working orders", "ordre en attente", "ordres en attente")


def signed_money(value: Decimal | float | int, lang: str) -> str:
    """"a gain of 125.50 dollars" / "une perte de 12 dollars" / "0 dollars"."""
    v = Decimal(str(value))
    if v == 0:
        return format_money(Decimal(0), lang)
    magnitude = format_money(abs(v), lang)
    if lang == "fr":
        return f"{'un gain' if v > 0 else 'une perte'} de {magnitude}"
    return f"{'a gain' if v > 0 else 'a loss'} of {magnitude}"


def _unrealized(value: Decimal, lang: str) -> str:
    v = Decimal(str(value))
    if v == 0:
        return "latent nul" if lang == "fr" else "no unrealized gain or loss"
    magnitude = format_money(abs(v), lang)
    if lang == "fr":
        return f"{'gain' if v > 0 else 'perte'} latent{'' if v > 0 else 'e'} de {magnitude}"
    return f"unrealized {'gain' if v > 0 else 'loss'} of {magnitude}"


def price(value: float, lang: str) -> str:
    return format_number(value, lang, 2)


def order_phrase(order_type: OrderType, limit_price: float | None, stop_price: float | None, lang: str) -> str:
    """How the order executes: "at market" / "au marché", "with a limit at 5,990.25" / "avec une limite à 5 990,25"."""
    if order_type is OrderType.LIMIT and limit_price is not None:
        return f"avec une limite à {price(limit_price, lang)}" if lang == "fr" else f"with a limit at {price(limit_price, lang)}"
    if order_type is OrderType.STOP and stop_price is not None:
        return f"avec un stop à {price(stop_price, lang)}" if lang == "fr" else f"with a stop at {price(stop_price, lang)}"
    return "au marché" if lang == "fr" else "at market"


def seconds(value: float, lang: str) -> str:
    n = format_number(value, lang, 1)
    if lang == "fr":
        return f"{n} {'seconde' if value < 2 else 'secondes'}"
    return f"{n} {'second' if value == 1 else 'seconds'}"


# ---------------------------------------------------------------------------- parser refusals
def not_understood_text(lang: str, nearest: str | None = None) -> str:
    """"Not understood", with two examples of the command the sentence came closest to."""
    examples = INTENT_EXAMPLES.get(nearest or "", {}).get("fr" if lang == "fr" else "en")
    if examples is None:
        return text("not_understood", lang)
    topic, first, second = examples
    return text("not_understood_for", lang, topic=topic, first=first, second=second)


def reason_text(reason: str | None, lang: str, nearest: str | None = None) -> tuple[str, str]:
    """(reply kind, sentence) for a parser refusal. Unknown reasons are "not understood"
    (with examples of `nearest`, the intent the sentence came closest to, when there is one)."""
    if not reason or reason in ("empty", "no_match", "unknown_language"):
        return "not_understood", not_understood_text(lang, nearest)
    if reason in TEXTS:
        return ("ambiguous" if reason.startswith("ambiguous") else "not_understood"), text(reason, lang)
    for prefix in ("ambiguous_", "missing_", "invalid_"):
        if reason.startswith(prefix):
            slot = reason[len(prefix):]
            en, fr, fr_cap = _SLOT_NAMES.get(slot, (slot.replace("_", " "), slot.replace("_", " "), slot.replace("_", " ").capitalize()))
            kind = "ambiguous" if prefix == "ambiguous_" else "not_understood"
            return kind, text(prefix + "other", lang, slot=en, slot_fr=fr, slot_fr_cap=fr_cap)
    return "not_understood", text("not_understood", lang)


# ---------------------------------------------------------------------------- query renderings
def position_item(p: Position, lang: str) -> str:
    return text(
        "position.item", lang,
        side="long" if p.quantity > 0 else "short",
        qty=contracts(abs(p.quantity), lang), symbol=p.symbol, price=price(p.avg_price, lang),
        pnl=_unrealized(p.unrealized_pnl, lang),
    )


def render_positions(positions: Iterable[Position], lang: str, symbol: str | None = None) -> str:
    items = [p for p in positions if p.quantity != 0 and (symbol is None or p.symbol == symbol)]
    if not items:
        return text("positions.none_symbol", lang, symbol=symbol) if symbol else text("positions.none", lang)
    rendered = "; ".join(position_item(p, lang) for p in items)
    if len(items) == 1:
        return text("positions.one", lang, items=rendered)
    return text("positions.many", lang, n=format_number(len(items), lang), items=rendered)


def render_pnl(p: PnLSummary, lang: str) -> str:
    return text(
        "pnl", lang,
        total=signed_money(p.total, lang), realized=format_money(p.realized, lang),
        unrealized=format_money(p.unrealized, lang), commissions=format_money(p.commissions, lang),
        fills=count(p.trades, lang, "fill", "fills", "exécution", "exécutions"),
    )


_STATE_WORDS = {
    TradingState.ACTIVE: ("active", "actif"),
    TradingState.HALTED: ("halted", "arrêté"),
    TradingState.REDUCING: ("in reduce-only mode", "en réduction seule"),
}


def render_status(s: EngineStatus, lang: str, market_risk: tuple[str, Decimal] | None = None) -> str:
    """`market_risk`: the trader's market and its own risk per trade, said when it differs from the default one
    ("set risk to 2 percent" applies to the default market: the status must not then say 1 %)."""
    fr = lang == "fr"
    risk = format_percent(s.risk_percent, lang)
    if market_risk is not None and market_risk[1] != s.risk_percent:
        own = format_percent(market_risk[1], lang)
        risk = f"{own} sur {market_risk[0]} ({risk} par défaut)" if fr else f"{own} on {market_risk[0]} ({risk} by default)"
    state_en, state_fr = _STATE_WORDS.get(s.state, (s.state.value.lower(), s.state.value.lower()))
    mode = {"paper": ("paper", "papier"), "live": ("live", "réel")}.get(s.mode, (s.mode, s.mode))
    return text(
        "status", lang,
        state=state_fr if fr else state_en,
        mode=mode[1] if fr else mode[0],
        market=("ouvert" if s.market_open else "fermé") if fr else ("open" if s.market_open else "closed"),
        equity=format_money(s.equity, lang),
        pnl=signed_money(s.pnl_today, lang),
        positions=count(s.open_positions, lang, "open position", "open positions", "position ouverte", "positions ouvertes"),
        orders=working_orders(s.working_orders, lang),
        risk=risk,
        broker=("connecté" if s.broker_connected else "DÉCONNECTÉ") if fr else ("connected" if s.broker_connected else "DISCONNECTED"),
    )


def render_metrics(m: PerformanceMetrics, lang: str) -> str:
    if m.trades == 0:
        return text("metrics.none", lang)
    pf = format_number(m.profit_factor, lang, 2) if m.profit_factor is not None else text("metrics.no_loss", lang)
    return text(
        "metrics", lang,
        trades=count(m.trades, lang, "closed trade", "closed trades", "trade clôturé", "trades clôturés"),
        win_rate=format_percent(round(m.win_rate * 100, 1), lang),
        pf=pf,
        net=signed_money(m.net_pnl, lang),
        largest_loss=format_money(abs(m.largest_loss), lang),
        dd=format_money(m.max_drawdown, lang),
        dd_pct=format_percent(round(m.max_drawdown_pct, 2), lang),
    )


def _pct01(p: float, lang: str) -> str:
    return format_percent(round(float(p) * 100, 1), lang)


def render_regime(info: Any, lang: str) -> str:
    name = info.name(lang) if hasattr(info, "name") else str(getattr(info, "regime", "?"))
    if getattr(info, "regime", "unknown") == "unknown":
        return text("regime.unknown", lang, symbol=info.symbol, name=name)
    return text("regime", lang, symbol=info.symbol, name=name, prob=_pct01(info.probability, lang))


def _feature_name(name: str) -> str:
    # identifiers ("trend_4h", "rv_30") read as words
    return name.replace("_", " ").strip()


def render_top_features(features: Sequence[Any], lang: str) -> str:
    if not features:
        return text("features.none", lang)
    items = [f"{_feature_name(f.name)} ({format_number(float(f.value), lang, 2)})" for f in features]
    return text("features", lang, items=", ".join(items))


def render_cvar(report: Any, lang: str) -> str:
    if not getattr(report, "trained", False) or report.cvar_loss_usd is None or report.alpha is None:
        return report.message(lang)
    within = ""
    if report.cvar_limit_usd is not None:
        key = "cvar.within" if report.cvar_loss_usd <= report.cvar_limit_usd else "cvar.above"
        within = text(key, lang, limit=format_money(Decimal(str(round(report.cvar_limit_usd, 2))), lang))
    return text(
        "cvar", lang,
        market=report.market,
        level=format_percent(round(report.alpha * 100, 1), lang),
        cvar=format_money(Decimal(str(round(report.cvar_loss_usd, 2))), lang),
        var=format_money(Decimal(str(round(report.var_loss_usd or 0.0, 2))), lang),
        episodes=format_number(report.episodes or 0, lang),
        within=within,
    )


_ACTIONS = {"long": ("long", "long"), "short": ("short", "short"), "flat": ("flat", "neutre")}


def _action(name: str, lang: str) -> str:
    en, fr = _ACTIONS.get(name, (name, name))
    return fr if lang == "fr" else en


def _money_signed_short(v: float, lang: str) -> str:
    # "12.50 dollars" / "minus 8 dollars": compact, for lists of values
    d = Decimal(str(round(v, 2)))
    if d < 0:
        return ("moins " if lang == "fr" else "minus ") + format_money(-d, lang)
    return format_money(d, lang)


def _quantile_at(taus: Sequence[float], values: Sequence[float], tau: float) -> float:
    best = min(range(len(values)), key=lambda i: abs((taus[i] if i < len(taus) else (2 * i + 1) / (2 * len(values))) - tau))
    return float(values[best])


def render_quantiles(report: Any, lang: str) -> str:
    if not getattr(report, "trained", False) or not report.expected_usd or report.greedy_action is None:
        return report.message(lang)
    best = report.greedy_action
    expected = ", ".join(f"{_action(a, lang)} {_money_signed_short(v, lang)}" for a, v in report.expected_usd.items())
    q = report.quantiles_usd.get(best, ())
    low = _quantile_at(report.taus, q, 0.10) if q else 0.0
    high = _quantile_at(report.taus, q, 0.90) if q else 0.0
    return text(
        "quantiles", lang,
        market=report.market, best=_action(best, lang), expected=expected,
        p_gain=_pct01(report.prob_positive.get(best, 0.0), lang),
        low=_money_signed_short(low, lang), high=_money_signed_short(high, lang),
    )


def render_ensemble(report: Any, lang: str) -> str:
    if not getattr(report, "trained", False) or not report.weights:
        return report.message(lang)
    weights = ", ".join(f"{m.upper()} {_pct01(w, lang)}" for m, w in zip(report.members, report.weights))
    out = text("ensemble", lang, market=report.market, weights=weights)
    if report.combined_action is not None and report.target_position is not None:
        action = format_number(round(report.combined_action, 2), lang, 2)
        if report.combined_action > 0:
            action = "+" + action
        out += text("ensemble.action", lang, action=action, target=contracts(report.target_position, lang, with_noun=True))
    return out
