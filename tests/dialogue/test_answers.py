"""Answer templates: locale-correct numbers, spoken forms, renderings of every typed result."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from assistant.dialogue import answers as A
from assistant.present import readback as R
from assistant.present.text import render
from trading_core.intelligence.rl.types import CvarReport, EnsembleWeightsReport, QuantileReport
from trading_core.intelligence.types import FeatureImportance, RegimeInfo
from trading_core.types import (
    ClosePreview,
    ClosingOrder,
    EngineStatus,
    HaltPreview,
    Order,
    OrderStatus,
    OrderPreview,
    OrderRequest,
    OrderType,
    PerformanceMetrics,
    PnLSummary,
    Position,
    Side,
    TradingState,
)


def plain(text: str) -> str:
    """French narrow no-break spaces read as plain spaces, so the expectations stay readable."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_every_template_exists_in_both_languages_with_the_same_placeholders():
    import re
    import string

    for key, (en, fr) in A.TEXTS.items():
        assert en and fr and en != fr, key
        names_en = {f for _, f, _, _ in string.Formatter().parse(en) if f}
        names_fr = {f for _, f, _, _ in string.Formatter().parse(fr) if f}
        # French may use a French-only variant of a value (slot_fr, doing_fr; "long" where English says "bought")
        assert {re.sub(r"_fr(_cap)?$", "", n) for n in names_fr} <= names_en | {"slot", "doing", "what", "side"}, key


def order_readback(preview: OrderPreview, lang: str, equity: Decimal | None = None) -> str:
    return render(R.order_readback(preview, equity), lang)


def test_french_number_formatting_in_readbacks():
    preview = OrderPreview(OrderRequest("ES", Side.SELL, 10, order_type=OrderType.LIMIT, limit_price=6010.25),
                           10, 6010.25, Decimal("2500.5"), 5.0, None)
    assert plain(order_readback(preview, "fr")) == "Short 10 contrats ES avec une limite à 6 010,25, risque estimé 2 500,50 $."
    assert order_readback(preview, "en") == "Sell 10 ES with a limit at 6,010.25, estimated risk $2,500.50."


def test_risk_share_is_a_locale_percentage():
    preview = OrderPreview(OrderRequest("ES", Side.BUY, 1, risk_percent=Decimal("2.5")), 1, 6000.0,
                           Decimal("2500"), 50.0, None)
    assert "(2,5 % du capital)" in plain(order_readback(preview, "fr", Decimal("100000")))
    assert "(2.5% of equity)" in order_readback(preview, "en", Decimal("100000"))


def test_unknown_risk_is_said_not_hidden():
    preview = OrderPreview(OrderRequest("MNQ", Side.BUY, 1), 1, None, None, None, None)
    assert order_readback(preview, "en") == "Buy 1 MNQ at market, estimated risk unknown."
    assert order_readback(preview, "fr") == "Long 1 contrat MNQ au marché, risque estimé inconnu."


def _working(n: int) -> tuple[Order, ...]:
    ts = datetime(2025, 4, 22, 14, 30, tzinfo=timezone.utc)
    return tuple(Order(f"O-{i}", f"C-{i}", "ES", Side.BUY, 1, OrderType.LIMIT, OrderStatus.WORKING, ts, limit_price=5990.0)
                 for i in range(n))


def test_close_and_halt_readbacks_say_what_the_engine_previewed():
    """The read-backs are built from the engine's previews (the dialogue never re-derives them)."""
    es = Position("ES", 3, 6000.0, 6001.0, Decimal("150"), Decimal(0))
    mnq = Position("MNQ", -1, 21000.0, 21001.0, Decimal("-2"), Decimal(0))
    assert R.close_readback(ClosePreview(None, (), (), ())) is None
    one = ClosePreview("ES", (es,), (), (ClosingOrder("ES", Side.SELL, 3, "close-ES-1"),))
    assert plain(render(R.close_readback(one), "fr")) == "Fermer la position ES : long 3 contrats ES."
    both = ClosePreview(None, (es, mnq), _working(2), ())
    assert render(R.close_readback(both), "en") == "Close all positions: long 3 ES, short 1 MNQ, cancel 2 working orders."
    halt = HaltPreview(TradingState.ACTIVE, (), ())
    assert render(R.halt_readback(halt), "en") == "Halt trading: no new order will be accepted; you have no open position."
    halt = HaltPreview(TradingState.ACTIVE, _working(1), (es,))
    assert render(R.halt_readback(halt), "fr") == ("Arrêter le trading : plus aucun nouvel ordre ne sera accepté, 1 ordre "
                                                    "en attente sera annulé ; votre position reste ouverte.")
    halt = HaltPreview(TradingState.ACTIVE, _working(3), (es, mnq))
    assert render(R.halt_readback(halt), "en") == ("Halt trading: no new order will be accepted, 3 working orders will be "
                                                    "cancelled; your 2 open positions stay open.")
    assert HaltPreview(TradingState.HALTED, (), ()).already_halted


@pytest.mark.parametrize(
    "lang,text,spoken",
    [
        ("en", "Buy 2 ES at market.", "Buy 2 E S at market."),
        ("fr", "Short 1 contrat MNQ au marché.", "Short 1 contrat M N Q au marché."),
        ("en", "Today's P&L: 0 dollars.", "Today's P and L: 0 dollars."),
        ("en", "ESPN and YES stay words.", "ESPN and YES stay words."),
    ],
)
def test_symbols_are_spelled_for_the_synthesiser(lang, text, spoken):
    assert A.for_speech(text, lang) == spoken


def test_parser_reasons_map_to_explanations():
    assert A.reason_text("ambiguous_symbol", "fr")[0] == "ambiguous"
    assert A.reason_text("no_match", "en") == ("not_understood", "I did not understand, can you repeat?")
    assert A.reason_text(None, "fr") == ("not_understood", "Je n'ai pas compris, pouvez-vous répéter ?")
    kind, sentence = A.reason_text("ambiguous_scope", "fr")
    assert kind == "ambiguous" and "la portée" in sentence
    assert "(widget)" in A.reason_text("missing_widget", "en")[1]
    assert A.reason_text("something_new", "en")[0] == "not_understood"


def test_pnl_and_status_renderings():
    pnl = PnLSummary("2026-11-18", Decimal("-100"), Decimal("30"), Decimal("4.5"), Decimal("-74.5"), 3)
    assert plain(A.render_pnl(pnl, "fr")) == ("Résultat du jour : une perte de 74,50 $ (réalisé -100,00 $, "
                                              "latent 30,00 $, commissions 4,50 $), 3 exécutions.")
    status = EngineStatus(TradingState.HALTED, "paper", "paper", True, "synthetic", False, ("ES", "MNQ"), {},
                          Decimal("100250.75"), Decimal("250.75"), 0, 1, Decimal("0.5"), 0, None)
    en = A.render_status(status, "en")
    assert en.startswith("Trading is halted, paper mode, market closed. Equity $100,250.75; today's P&L a gain of $250.75")
    assert "0 open positions, 1 working order" in en and "risk per trade 0.5%" in en
    fr = plain(A.render_status(status, "fr"))
    assert "Valeur du compte 100 250,75 $" in fr and "risque par trade 0,5 %" in fr and "0 position ouverte" in fr


def test_metrics_rendering_with_trades():
    m = PerformanceMetrics(12, 7, 5, 7 / 12, 1.42, Decimal("3000"), Decimal("-2100"), Decimal("900"), Decimal("800"),
                           Decimal("-650"), Decimal("428.57"), Decimal("-420"), Decimal("1200"), 1.19)
    fr = plain(A.render_metrics(m, "fr"))
    assert fr == ("12 trades clôturés, taux de réussite 58,3 %, facteur de profit 1,42, résultat net un gain de "
                  "900,00 $, plus grosse perte 650,00 $, drawdown maximal 1 200,00 $ (1,19 %).")
    en = A.render_metrics(m, "en")
    assert "win rate 58.3%" in en and "maximum drawdown $1,200.00 (1.19%)" in en


def test_intelligence_renderings():
    regime = RegimeInfo("ES", "trend", 0.724, {"trend": 0.724, "range": 0.2, "defensive": 0.076},
                        datetime(2026, 11, 18, tzinfo=timezone.utc), 500, "checkpoint")
    assert plain(A.render_regime(regime, "fr")) == "Régime de marché ES : tendance, probabilité 72,4 %."
    assert A.render_regime(regime, "en") == "ES market regime: trending, probability 72.4%."
    unknown = RegimeInfo("MNQ", "unknown", 0.0, {}, None)
    assert A.render_regime(unknown, "en") == "MNQ market regime: unknown (not enough data)."
    feats = [FeatureImportance("trend_4h", 0.1884), FeatureImportance("rv_30", -0.05)]
    assert A.render_top_features(feats, "fr") == "Principales variables : trend 4h (0,19), rv 30 (-0,05)."
    assert A.render_top_features([], "en") == "No feature importance is available yet."


def test_trained_model_reports_are_rendered_from_their_fields():
    cvar = CvarReport(True, "ES", "m", "m", alpha=0.05, cvar_loss_usd=1234.5, var_loss_usd=800.0,
                      cvar_limit_usd=1500.0, episodes=40)
    assert plain(A.render_cvar(cvar, "fr")) == ("CVaR ES à 5 % : une perte moyenne de 1 234,50 $ par contrat dans les "
                                                "pires cas, VaR 800,00 $, sur 40 épisodes de test, sous la limite de "
                                                "1 500,00 $.")
    q = QuantileReport(True, "ES", "m", "m", n_quantiles=5, taus=(0.1, 0.3, 0.5, 0.7, 0.9),
                       actions=("short", "flat", "long"),
                       quantiles_usd={"long": (-50.0, -10.0, 5.0, 20.0, 60.0)},
                       expected_usd={"short": -8.0, "flat": 0.0, "long": 5.0},
                       prob_positive={"long": 0.6}, greedy_action="long")
    en = A.render_quantiles(q, "en")
    assert en == ("ES QR-DQN: best action long. Expected value: short minus $8.00, flat $0.00, long $5.00. "
                  "For long, a gain has probability 60%, and 80% of outcomes lie between minus $50.00 and $60.00.")
    assert "neutre 0,00 $" in plain(A.render_quantiles(q, "fr"))
    ens = EnsembleWeightsReport(True, "ES", "m", "m", weights=(0.4, 0.3, 0.3), combined_action=0.25, target_position=1)
    assert plain(A.render_ensemble(ens, "fr")) == ("Poids de l'ensemble ES : SAC 40 %, PPO 30 %, DDPG 30 %. Action "
                                                   "combinée +0,25, position cible 1 contrat.")


def test_untrained_reports_use_their_own_message():
    q = QuantileReport(False, "ES", "No trained QR-DQN model.", "Aucun modèle QR-DQN.")
    assert A.render_quantiles(q, "fr") == "Aucun modèle QR-DQN."
    c = CvarReport(False, "MNQ", "No CVaR yet.", "Pas de CVaR.")
    assert A.render_cvar(c, "en") == "No CVaR yet."


def test_confirm_button_labels():
    assert A.confirm_labels("fr") == ("Confirmer", "Annuler")
    assert A.confirm_labels("en") == ("Confirm", "Cancel")
