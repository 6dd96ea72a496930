"""Every refusal code has its sentence in both languages, with its figures written per locale and said
in words for the synthesiser."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from assistant.present.reasons import SENTENCE_KEYS, reason_msg, reason_text
from assistant.present.text import Surface
from trading_core.risk.reasons import PARAMS, RECORDED, PriceLabel, ReasonCode, reject
from trading_core.types import Rejection

S = "\u202f"  # narrow no-break space: French thousands and "%"
B = "\u00a0"  # no-break space before "$"

# One realistic set of parameters per (code, variant); the rendered fragments must show up.
SAMPLES: dict[tuple[ReasonCode, str], tuple[dict[str, Any], list[str], list[str]]] = {
    (ReasonCode.QTY_NOT_POSITIVE, ""): ({"quantity": -3}, ["-3"], ["-3"]),
    (ReasonCode.QTY_NOT_POSITIVE, "not_whole"): ({"quantity": 1.5}, ["1.5"], ["1,5"]),
    (ReasonCode.QTY_ABOVE_MAX, ""): (
        {"quantity": 10_000, "maximum": 10}, ["10,000 contracts", "of 10."], [f"10{S}000 contrats", "de 10."]
    ),
    (ReasonCode.POSITION_LIMIT_SYMBOL, ""): (
        {"symbol": "ES", "resulting": 12, "limit": 10}, ["ES", "12 contracts", "10"], ["ES", "12 contrats", "10"]
    ),
    (ReasonCode.POSITION_LIMIT_TOTAL, ""): (
        {"resulting": 1_021, "limit": 1_000}, ["1,021 contracts", "1,000"], [f"1{S}021 contrats", f"1{S}000"]
    ),
    (ReasonCode.DAILY_LOSS_LIMIT, ""): (
        {"pnl": Decimal("-2150.5"), "limit": Decimal("2000")},
        ["loss of $2,150.50", "$2,000.00"], [f"perte du jour de 2{S}150,50{B}$", f"2{S}000,00{B}$"],
    ),
    (ReasonCode.MAX_CONSECUTIVE_LOSSES, ""): (
        {"count": 5, "limit": 5}, ["5 losing trades", "limit is 5"], ["5 pertes", "de 5"]
    ),
    (ReasonCode.MIN_BALANCE, ""): (
        {"balance": Decimal("24999.99"), "minimum": Decimal("25000")},
        ["$24,999.99", "$25,000.00"], [f"24{S}999,99{B}$", f"25{S}000,00{B}$"],
    ),
    (ReasonCode.MARKET_CLOSED, ""): ({"symbol": "MNQ"}, ["MNQ"], ["MNQ"]),
    (ReasonCode.RATE_LIMIT, ""): (
        {"count": 30, "limit": 30, "wait": 12}, ["30 orders", "12 seconds"], ["30 ordres", "12 secondes"]
    ),
    (ReasonCode.PRICE_BAND, ""): (
        {"label": PriceLabel.LIMIT, "price": 5300.25, "last": 5000.0, "distance": 6.0062, "band": 5.0},
        ["limit price 5,300.25", "6.01%", "5,000", "5%"], [f"prix limite 5{S}300,25", f"6,01{S}%", f"5{S}000", f"5{S}%"],
    ),
    (ReasonCode.UNKNOWN_SYMBOL, ""): ({"symbol": "XYZ"}, ["XYZ"], ["XYZ"]),
    (ReasonCode.HALTED, ""): ({}, ["halted"], ["suspendu"]),
    (ReasonCode.REDUCING_ONLY, ""): (
        {"symbol": "ES", "position": 2}, ["ES", "long 2 contracts"], ["ES", "longue de 2 contrats"]
    ),
    (ReasonCode.REDUCING_ONLY, "flat"): ({"symbol": "ES"}, ["no ES position"], ["aucune position ES"]),
    (ReasonCode.HALTED, "covered"): (
        {"symbol": "ES", "exiting": 2}, ["already close 2 contracts of your ES position"],
        ["ferment déjà 2 contrats de votre position ES"],
    ),
    (ReasonCode.REDUCING_ONLY, "covered"): (
        {"symbol": "ES", "exiting": 1}, ["1 contract of your ES position"], ["1 contrat de votre position ES"]
    ),
    (ReasonCode.NO_MARKET_PRICE, ""): ({"symbol": "ES"}, ["ES"], ["ES"]),
    (ReasonCode.NO_CURRENT_PRICE, ""): (
        {"symbol": "ES"}, ["no current price for ES yet"], ["pas encore de prix actuel pour ES"]
    ),
    (ReasonCode.INVALID_PRICE, "missing"): (
        {"label": PriceLabel.STOP_LOSS}, ["stop-loss price"], ["prix du stop de protection"]
    ),
    (ReasonCode.INVALID_PRICE, "not_positive"): (
        {"label": PriceLabel.LIMIT, "price": -1.5}, ["-1.5"], ["-1,5"]
    ),
    (ReasonCode.INVALID_PRICE, "too_large"): (
        {"label": PriceLabel.LIMIT, "price": 1e308}, ["limit price", "far too large"], ["prix limite", "bien trop grand"]
    ),
    (ReasonCode.DUPLICATE_CLIENT_ID, ""): (
        {"client_id": "abc", "side": "BUY", "quantity": 1, "symbol": "ES", "order_type": "LIMIT", "limit_price": 5990.25},
        ["abc", "(buy 1 ES limit 5,990.25)"], ["abc", f"(achat 1 ES à cours limité 5{S}990,25)"]
    ),
    (ReasonCode.INVALID_PRICE, "off_tick"): (
        {"label": PriceLabel.STOP, "price": 5000.1, "tick": 0.25, "below": 5000.0, "above": 5000.25},
        ["5,000.1", "0.25", "5,000 and 5,000.25"], [f"5{S}000,1", "0,25", f"5{S}000 et 5{S}000,25"],
    ),
    (ReasonCode.INVALID_PRICE, "stop_loss_below"): (
        {"stop_loss": 5010.0, "entry": 5000.0}, ["5,010", "below"], [f"5{S}010", "sous"]
    ),
    (ReasonCode.INVALID_PRICE, "stop_loss_above"): (
        {"stop_loss": 4990.0, "entry": 5000.0}, ["4,990", "above"], [f"4{S}990", "au-dessus"]
    ),
    (ReasonCode.INVALID_PRICE, "take_profit_above"): (
        {"take_profit": 4990.0, "entry": 5000.0}, ["4,990", "above"], [f"4{S}990", "au-dessus"]
    ),
    (ReasonCode.INVALID_PRICE, "take_profit_below"): (
        {"take_profit": 5010.0, "entry": 5000.0}, ["5,010", "below"], [f"5{S}010", "sous"]
    ),
    (ReasonCode.RISK_PERCENT_OUT_OF_RANGE, ""): (
        {"percent": Decimal("10000"), "max": Decimal("5.0")}, ["10,000%", "5%"], [f"10{S}000{S}%", f"5{S}%"]
    ),
    (ReasonCode.RISK_PERCENT_OUT_OF_RANGE, "not_a_number"): (
        {"percent": "lots", "max": Decimal("2.5")}, ["\u201clots\u201d", "2.5%"], ["« lots »", f"2,5{S}%"]
    ),
    (ReasonCode.RISK_PERCENT_OUT_OF_RANGE, "order"): (
        {"percent": Decimal("8"), "max": Decimal("5.0")}, ["Order refused", "8%", "5%"], ["Ordre refusé", f"8{S}%", f"5{S}%"]
    ),
    (ReasonCode.SIZE_ZERO_FROM_RISK, ""): (
        {"percent": Decimal("0.1"), "symbol": "ES"}, ["0.1%", "ES"], [f"0,1{S}%", "ES"]
    ),
    (ReasonCode.SIZE_ZERO_FROM_RISK, "detailed"): (
        {
            "percent": Decimal("0.25"), "equity": Decimal("30000"), "budget": Decimal("75"),
            "per_contract": Decimal("1250"), "symbol": "ES", "stop": 25.0,
        },
        ["0.25%", "$30,000.00", "$75.00", "$1,250.00", "25 points"],
        [f"0,25{S}%", f"30{S}000,00{B}$", f"75,00{B}$", f"1{S}250,00{B}$", "25 points"],
    ),
    (ReasonCode.PREVIEW_CHANGED, ""): ({}, ["changed since the read-back"], ["ont changé depuis la relecture"]),
    (ReasonCode.BROKER_REJECTED, ""): ({}, ["rejected by the broker"], ["rejeté par le courtier"]),
    (ReasonCode.BROKER_DISCONNECTED, ""): ({"broker": "ib"}, ["Interactive Brokers is not connected"],
                                           ["Interactive Brokers n'est pas connecté"]),
    (ReasonCode.BROKER_DISCONNECTED, "while_sending"): ({"broker": "paper"}, ["the paper broker dropped"],
                                                        ["avec le courtier papier a été coupée"]),
    (ReasonCode.BROKER_UNKNOWN_SYMBOL, ""): ({"symbol": "XYZ"}, ["does not trade XYZ"], ["ne traite pas XYZ"]),
    (ReasonCode.BROKER_INVALID_QUANTITY, ""): ({"quantity": "0"}, ["not 0"], ["pas 0"]),
    (ReasonCode.BROKER_INVALID_ORDER_TYPE, ""): ({"order_type": "BRACKET"}, ["not bracket orders"],
                                                 ["pas les ordres bracket"]),
    (ReasonCode.BROKER_INVALID_PRICE, "not_positive"): (
        {"order_type": "LIMIT", "label": "limit", "price": "-1.0"}, ["limit order needs a limit price", "-1.0"],
        ["exige un prix limite", "-1.0"]),
    (ReasonCode.BROKER_INVALID_PRICE, "off_tick"): (
        {"order_type": "STOP", "label": "stop", "symbol": "ES", "price": 5000.1, "tick": 0.25},
        ["5,000.1 of ES", "tick 0.25"], [f"5{S}000,1 de ES", "0,25"]),
    (ReasonCode.BROKER_INVALID_BRACKET, ""): ({}, ["opposite side"], ["côté opposé"]),
    (ReasonCode.BROKER_INVALID_BRACKET, "one_symbol"): ({}, ["single symbol"], ["seul symbole"]),
    (ReasonCode.BROKER_PARENT_INACTIVE, ""): ({}, ["parent order"], ["ordre parent"]),
    (ReasonCode.IB_ERROR, ""): ({"ib_code": 201, "text": "Order rejected - margin"}, ["(error 201): Order rejected - margin"],
                                ["(erreur 201) : Order rejected - margin"]),
    (ReasonCode.IB_INACTIVE, ""): ({}, ["inactive"], ["inactif"]),
    (ReasonCode.IB_CONTRACT_UNKNOWN, ""): ({"contract": "ESZ6", "ib_code": 200, "text": "No security definition"},
                                           ["ESZ6 (error 200)"], ["ESZ6 (erreur 200)"]),
    (ReasonCode.IB_CONTRACT_TIMEOUT, ""): ({"contract": "ESZ6", "seconds": 5.0}, ["within 5 seconds"], ["en 5 secondes"]),
    # the autopilot's refusals and expiries of a signal
    (ReasonCode.FILTER_REJECTED, ""): ({"probability": 0.52, "threshold": 0.6}, ["52%", "60%"], [f"52{S}%", f"60{S}%"]),
    (ReasonCode.MODEL_REJECTED, ""): ({"model": "ppo_cvar", "probability": 0.41, "threshold": 0.45},
                                      ["ppo_cvar", "41%", "45%"], ["ppo_cvar", f"41{S}%", f"45{S}%"]),
    (ReasonCode.NO_EDGE, ""): ({"probability": 0.6, "payoff": 0.85}, ["60%", "0.85 to 1"], [f"60{S}%", "0,85 pour 1"]),
    (ReasonCode.SIZE_ZERO, ""): ({"risk_percent": 0.25, "stop_points": 40.0}, ["0.25%", "40 points"],
                                 [f"0,25{S}%", "40 points"]),
    (ReasonCode.IN_TRADE, ""): ({"symbol": "ES"}, ["ES already"], ["ES a déjà"]),
    (ReasonCode.ENGINE_NOT_ACTIVE, ""): ({"state": "HALTED"}, ["(HALTED)"], ["(HALTED)"]),
    (ReasonCode.EXPIRED_TIMEOUT, ""): ({}, ["in time"], ["à temps"]),
    (ReasonCode.EXPIRED_RESTART, ""): ({}, ["restarted"], ["redémarré"]),
    (ReasonCode.EXPIRED_MODE, ""): ({}, ["proposal mode"], ["mode proposition"]),
    (ReasonCode.SUPERSEDED, ""): ({}, ["newer signal"], ["plus récent"]),
    (ReasonCode.DECLINED, ""): ({}, ["Declined"], ["Refusée"]),
}


def test_every_code_and_variant_has_a_sentence_and_a_sample() -> None:
    assert SENTENCE_KEYS == frozenset(PARAMS)
    assert set(SAMPLES) == set(PARAMS)


@pytest.mark.parametrize("key", sorted(SAMPLES, key=lambda k: (k[0].value, k[1])), ids=lambda k: f"{k[0].value}/{k[1] or 'default'}")
def test_each_reason_renders_both_languages(key: tuple[ReasonCode, str]) -> None:
    code, variant = key
    params, en_parts, fr_parts = SAMPLES[key]
    r = reject(code, variant, **params)
    en, fr = reason_text(r, "en"), reason_text(r, "fr")
    assert en and fr and en != fr
    assert "{" not in en + fr and "}" not in en + fr
    for part in en_parts:
        assert part in en, (part, en)
    for part in fr_parts:
        assert part in fr, (part, fr)
    # Sentences, spoken as they are: they begin with a capital and end with a full stop.
    for text in (en, fr):
        assert text[0].isupper() and text.rstrip().endswith((".", "margin", "definition")), text
    # Said for the synthesiser: no written amount or grouped number is left for it to misread.
    for lang in ("en", "fr"):
        spoken = reason_text(r, lang, Surface.SPEECH)
        assert "$" not in spoken and not re.search(r"\d[,\u202f]\d{3}", spoken), spoken


def test_brief_example_sentence() -> None:
    r = reject(ReasonCode.QTY_ABOVE_MAX, quantity=10_000, maximum=10)
    assert reason_text(r, "en") == "Order refused: 10,000 contracts is above the maximum order size of 10."
    assert reason_text(r, "fr") == f"Ordre refusé : 10{S}000 contrats dépasse la taille maximale d'ordre de 10."
    assert reason_text(r, "fr", Surface.SPEECH) == "Ordre refusé : dix mille contrats dépasse la taille maximale d'ordre de dix."


def test_a_loss_is_said_in_words() -> None:
    r = reject(ReasonCode.DAILY_LOSS_LIMIT, pnl=Decimal("-1502.25"), limit=Decimal("1000"))
    assert "mille cinq cent deux dollars vingt-cinq" in reason_text(r, "fr", Surface.SPEECH)
    assert "one thousand five hundred two dollars and twenty-five cents" in reason_text(r, "en", Surface.SPEECH)


def test_plurals_follow_each_language() -> None:
    one = reject(ReasonCode.POSITION_LIMIT_TOTAL, resulting=1, limit=0)
    assert "1 contract " in reason_text(one, "en") and "1 contrat " in reason_text(one, "fr")
    zero = reject(ReasonCode.RATE_LIMIT, count=0, limit=1, wait=1)
    # English: "0 orders"; French keeps the singular below two: "0 ordre", "1 seconde".
    assert "0 orders" in reason_text(zero, "en") and "1 second." in reason_text(zero, "en")
    assert "0 ordre " in reason_text(zero, "fr") and "1 seconde." in reason_text(zero, "fr")
    short = reject(ReasonCode.REDUCING_ONLY, symbol="MNQ", position=-1)
    assert "short 1 contract;" in reason_text(short, "en") and "courte de 1 contrat ;" in reason_text(short, "fr")


def test_empty_symbol_is_said_not_swallowed() -> None:
    r = reject(ReasonCode.UNKNOWN_SYMBOL, symbol="  ")
    assert "(empty)" in reason_text(r, "en") and "(vide)" in reason_text(r, "fr")


def test_a_refusal_recorded_before_schema_2_is_said_as_recorded() -> None:
    r = reject(ReasonCode.IB_ERROR, RECORDED, recorded_code="IB_201", text_en="Refused by IB.", text_fr="Refusé par IB.")
    assert reason_text(r, "en") == "Refused by IB." and reason_text(r, "fr") == "Refusé par IB."


def test_an_unknown_variant_still_says_the_code() -> None:
    r = Rejection(ReasonCode.HALTED, "from_a_newer_version", {})
    assert reason_msg(r).text("en") == "Refused (HALTED)."
