"""Helpers for the risk tests: the real instrument lookup, a context factory, order shortcuts."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from trading_core.instruments import get_instrument
from trading_core.risk.gate import OrderIntent, RiskContext
from trading_core.types import OrderType, Side, TradingState

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)
ES_LAST = 5000.0
MNQ_LAST = 20000.0


def make_ctx(**overrides: Any) -> RiskContext:
    values: dict[str, Any] = dict(
        now=NOW,
        state=TradingState.ACTIVE,
        market_open=True,
        positions={},
        pending={},
        last_prices={"ES": ES_LAST, "MNQ": MNQ_LAST},
        equity=Decimal("100000"),
        balance=Decimal("100000"),
        pnl_today=Decimal("0"),
        consecutive_losses=0,
    )
    values.update(overrides)
    return RiskContext(**values)


def buy(qty: int = 1, symbol: str = "ES", **kw: Any) -> OrderIntent:
    return OrderIntent(symbol=symbol, side=Side.BUY, quantity=qty, **kw)


def sell(qty: int = 1, symbol: str = "ES", **kw: Any) -> OrderIntent:
    return OrderIntent(symbol=symbol, side=Side.SELL, quantity=qty, **kw)


__all__ = ["NOW", "ES_LAST", "MNQ_LAST", "make_ctx", "buy", "sell", "get_instrument", "OrderType"]


def en(rejection: Any) -> str:
    """The refusal's English sentence (rendered by the presentation layer: the core holds data only)."""
    from assistant.present.reasons import reason_text

    return reason_text(rejection, "en")


def fr(rejection: Any) -> str:
    """The French sentence, with the narrow no-break spaces of French numbers read as plain spaces."""
    from assistant.present.reasons import reason_text

    return reason_text(rejection, "fr").replace("\u202f", " ").replace("\u00a0", " ")
