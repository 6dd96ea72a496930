"""The contracts between the engine and its parts, and between the engine and the fronts.

- `EngineAPI`: everything a front (voice, chat, CLI, dashboard, alerts, monitor, mentor) may ask of
  the engine. Fronts are typed against it, never against `Engine`: they get immutable snapshots and
  never reach the portfolio, the ledger, the bar buffers or the clock (a test enforces it).
- `IntelligenceAPI` / `RLAPI`: the ML services the engine queries (regime, SHAP features, signal
  quality; CVaR, QR-DQN quantiles, ensemble weights). Built lazily by the engine unless injected.
- `trading_core.marketdata.feed.MarketFeed`: where prices and bars come from.

Importing this module is cheap (types only): the fronts import it at start-up.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from trading_core.types import (
    AccountSnapshot,
    Bar,
    ClosePreview,
    CloseResult,
    EngineEvent,
    EngineStatus,
    HaltPreview,
    HaltResult,
    Order,
    OrderPreview,
    OrderRequest,
    OrderResult,
    PerformanceMetrics,
    PnLSummary,
    Position,
    SetRiskResult,
    StateChange,
    TradingState,
)

if TYPE_CHECKING:
    from trading_core.autopilot.controller import Autopilot
    from trading_core.autopilot.stats import AutopilotStats
    from trading_core.autopilot.types import AutopilotSignal, AutopilotStatus, ConfirmResult, SetModeResult
    from trading_core.api import EventSubscription
    from trading_core.marketdata.feed import MarketFeed  # noqa: F401 (documented here, defined there)
    from trading_core.config import MiaConfig
    from trading_core.intelligence.rl.types import CvarReport, EnsembleWeightsReport, QuantileReport
    from trading_core.intelligence.types import FeatureImportance, RegimeInfo, SignalQuality
    from trading_core.ledger import EquityPoint
    from trading_core.portfolio import ClosedTrade


@runtime_checkable
class IntelligenceAPI(Protocol):
    """Regime, features and signal quality (`IntelligenceService`, or its worker process)."""

    def on_bar(self, bar: Bar) -> None: ...

    def regime(self, symbol: str | None = None) -> RegimeInfo: ...

    def top_features(self, n: int = 10, symbol: str | None = None) -> list[FeatureImportance]: ...

    def signal_quality(self, features: Any = None, *, symbol: str | None = None, side: Any = None) -> SignalQuality: ...


@runtime_checkable
class RLAPI(Protocol):
    """The reinforcement-learning reports (`RLService`)."""

    def cvar_loss(self, market: str | None = None) -> CvarReport: ...

    def qr_quantiles(self, *, market: str | None = None) -> QuantileReport: ...

    def ensemble_weights(self, *, market: str | None = None) -> EnsembleWeightsReport: ...


class EngineAPI(Protocol):
    """What the fronts may use. Every result is an immutable snapshot."""

    # ---- identity and state (read-only)
    @property
    def config(self) -> MiaConfig: ...

    @property
    def mode(self) -> str: ...

    @property
    def symbols(self) -> tuple[str, ...]: ...

    @property
    def state(self) -> TradingState: ...

    def now(self) -> datetime:
        """Market time (the simulated market's clock in paper mode, the wall clock live)."""
        ...

    def has_current_price(self, symbol: str) -> bool: ...

    def last_prices(self) -> dict[str, float]: ...

    # ---- queries
    async def status(self) -> EngineStatus: ...

    async def positions(self) -> list[Position]: ...

    async def account(self) -> AccountSnapshot: ...

    async def pnl_today(self) -> PnLSummary: ...

    async def working_orders(self) -> list[Order]: ...

    async def recent_orders(self, limit: int = 50) -> list[Order]: ...

    def order(self, order_id: str) -> Order | None: ...

    async def performance_metrics(self) -> PerformanceMetrics: ...

    def closed_trades(self) -> tuple[ClosedTrade, ...]: ...

    def closed_trade_count(self) -> int: ...

    def equity_curve(self, since: datetime | None = None) -> list[EquityPoint]: ...

    def bars(self, symbol: str, last: int | None = None) -> tuple[Bar, ...]: ...

    def risk_percent_for(self, symbol: str) -> Decimal: ...

    # ---- previews (read-backs) and actions
    async def preview_order(self, req: OrderRequest) -> OrderPreview: ...

    async def place_order(self, req: OrderRequest, wait_fill: float = 0.0) -> OrderResult: ...

    async def cancel_order(self, order_id: str) -> bool: ...

    async def preview_close(self, symbol: str | None = None) -> ClosePreview: ...

    async def close_positions(self, symbol: str | None = None, source: str = "api", *,
                              preview: ClosePreview | None = None) -> CloseResult: ...

    async def preview_halt(self, flatten: bool = False) -> HaltPreview: ...

    async def halt(self, reason: str = "user", *, preview: HaltPreview | None = None) -> HaltResult: ...

    async def kill_switch(self, reason: str = "user", *, preview: HaltPreview | None = None) -> CloseResult: ...

    async def reduce_only(self, reason: str = "user") -> StateChange: ...

    async def resume(self, reason: str = "user") -> StateChange: ...

    async def set_risk(self, percent: Decimal | float | str, symbol: str | None = None) -> SetRiskResult: ...

    async def preview_set_risk(self, percent: Decimal | float | str, symbol: str | None = None) -> SetRiskResult: ...

    # ---- intelligence
    @property
    def intelligence_loaded(self) -> bool: ...

    def intelligence_cache_info(self) -> dict[str, int] | None: ...

    async def regime(self, symbol: str | None = None) -> RegimeInfo: ...

    async def top_features(self, n: int = 5) -> list[FeatureImportance]: ...

    async def signal_quality(self, features: Any = None) -> SignalQuality: ...

    async def cvar_loss(self) -> CvarReport: ...

    async def qr_quantiles(self) -> QuantileReport: ...

    async def ensemble_weights(self) -> EnsembleWeightsReport: ...

    async def write_intelligence_figures(self, symbol: str | None = None) -> Sequence[Any]: ...

    # ---- the autopilot (None until one is attached: `trading_core.autopilot.attach`)
    @property
    def autopilot(self) -> Autopilot | None: ...

    async def autopilot_signals(self, limit: int | None = 50, since: datetime | None = None) -> list[AutopilotSignal]: ...

    async def volatility_forecast(self) -> Any: ...

    def autopilot_status(self) -> AutopilotStatus | None: ...

    async def autopilot_stats(self, day: date | None = None) -> AutopilotStats: ...

    async def set_autopilot_mode(self, mode: str, *, live_ack: bool = False, reason: str = "user") -> SetModeResult: ...

    async def confirm_signal(self, signal_id: str) -> ConfirmResult: ...

    async def decline_signal(self, signal_id: str) -> ConfirmResult: ...

    def trading_day(self) -> str | None: ...

    # ---- events
    def subscribe(self) -> EventSubscription: ...

    def add_listener(self, callback: Callable[[EngineEvent], None]) -> None: ...

    def remove_listener(self, callback: Callable[[EngineEvent], None]) -> None: ...

    def events_since(self, seq: int = 0, limit: int | None = 1000) -> list[EngineEvent]: ...


__all__ = ["EngineAPI", "IntelligenceAPI", "RLAPI"]
