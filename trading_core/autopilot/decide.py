"""From a scored candidate to a sized bracket, or a refusal with its reason. Pure: live and replay share it.

Checks, in order (the first that fails is the reason):
1. IN_TRADE          the symbol already has a position or a working order;
2. FILTER_REJECTED   the ensemble filter's probability < autopilot.filter_threshold (0.6);
3. MODEL_REJECTED    a trained trade-probability model gives less than autopilot.model_min_probability,
                     or, when that is not set (the default), less than the policy's own average held-out
                     trade (so a model without a proven edge, which answers its average, never vetoes);
4. NO_EDGE           the Kelly fraction is 0: with win probability W (the filter's, which was trained on
                     this very bracket) and the payoff ratio after costs
                     R = (target USD - round-trip cost) / (stop USD + round-trip cost), W - (1 - W) / R <= 0;
5. SIZE_ZERO         the risk budget buys no contract.
Size: risk fraction = risk % x min(Kelly, kelly_cap) / kelly_cap x gamma-cycle factor x catastrophe-level
factor x volatility-forecast factor; contracts = floor(equity x risk fraction / (stop distance x USD per
point)), at most risk.max_order_size. So the configured risk % is what a trade with at least the capped
Kelly edge risks; a thinner edge risks proportionally less. The risk gate comes after, at the caller.
Bracket: stop = entry -/+ stop distance (risk.atr_stop_multiple x ATR), target = entry +/- reward_risk x
stop distance on the tick grid; entry is the bar's close (the market entry fills at the next price).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from trading_core.autopilot.pipeline import Candidate
from trading_core.autopilot.types import (
    AutopilotSignal,
    CatastropheLevel,
    ReasonCode,
    SignalDecision,
    SignalScores,
)
from trading_core.config import MiaConfig
from trading_core.instruments import Instrument
from trading_core.risk.reasons import reject
from trading_core.risk.sizing import kelly_fraction
from trading_core.types import Rejection, Side


@dataclass(frozen=True, slots=True)
class DecisionContext:
    equity: Decimal
    in_trade: bool
    risk_percent: Decimal
    level: CatastropheLevel = CatastropheLevel.INFO
    level_factor: float = 1.0
    volatility_factor: float = 1.0


@dataclass(frozen=True, slots=True)
class Decision:
    quantity: int
    stop_loss: float
    take_profit: float
    kelly: float | None
    risk_fraction: float | None
    rejection: Rejection | None  # why no contract is bought (code and figures); None when sized

    @property
    def reason(self) -> ReasonCode | None:
        return None if self.rejection is None else self.rejection.code

    @property
    def sized(self) -> bool:
        return self.rejection is None


def bracket_prices(side: int, entry: float, stop_points: float, reward_risk: float, tick: float) -> tuple[float, float]:
    target_ticks = max(1, math.floor(reward_risk * stop_points / tick + 0.5))
    stop = round((entry - side * stop_points) / tick) * tick
    target = round((entry + side * target_ticks * tick) / tick) * tick
    return stop, target


def round_trip_cost_usd(config: MiaConfig, instrument: Instrument) -> float:
    """Commission on entry and exit plus one tick of slippage each way, per contract."""
    return 2 * float(config.paper.commission_per_contract) + 2 * config.paper.slippage_ticks * float(instrument.tick_value)


def model_threshold(c: Candidate, config: MiaConfig) -> float | None:
    """The trade-probability floor: the configured one, else the policy's average held-out trade."""
    if not c.model_trained:
        return None
    floor = config.autopilot.model_min_probability
    return floor if floor is not None else c.model_base_rate


def decide(c: Candidate, ctx: DecisionContext, config: MiaConfig, instrument: Instrument) -> Decision:
    ap = config.autopilot
    tick = float(instrument.tick_size)
    stop, target = bracket_prices(c.side, c.entry, c.stop_points, ap.reward_risk, tick)

    def refuse(rejection: Rejection, kelly: float | None = None) -> Decision:
        return Decision(0, stop, target, kelly, None, rejection)

    if ctx.in_trade:
        return refuse(reject(ReasonCode.IN_TRADE, symbol=c.symbol))
    if c.filter_probability < ap.filter_threshold:
        return refuse(reject(ReasonCode.FILTER_REJECTED, probability=c.filter_probability,
                             threshold=ap.filter_threshold))
    floor = model_threshold(c, config)
    if floor is not None and c.model_probability is not None and c.model_probability < floor:
        return refuse(reject(ReasonCode.MODEL_REJECTED, model=c.model_type, probability=c.model_probability,
                             threshold=floor))
    mult = float(instrument.multiplier)
    stop_usd = c.stop_points * mult
    gain_usd = abs(target - c.entry) * mult
    cost = round_trip_cost_usd(config, instrument)
    payoff = (gain_usd - cost) / (stop_usd + cost)
    cap = float(config.risk.kelly_cap)
    kelly = kelly_fraction(c.filter_probability, payoff, cap) if payoff > 0 else 0.0
    if kelly <= 0:
        return refuse(reject(ReasonCode.NO_EDGE, probability=c.filter_probability, payoff=round(max(payoff, 0.0), 2)),
                      kelly)
    risk_fraction = (float(ctx.risk_percent) / 100.0 * (kelly / cap) * c.gamma_factor * ctx.level_factor
                     * ctx.volatility_factor)
    qty = math.floor(float(ctx.equity) * risk_fraction / stop_usd) if stop_usd > 0 else 0
    qty = min(max(qty, 0), int(config.risk.max_order_size))
    if qty <= 0:
        return Decision(0, stop, target, kelly, risk_fraction,
                        reject(ReasonCode.SIZE_ZERO, risk_percent=round(100 * risk_fraction, 2),
                               stop_points=c.stop_points))
    return Decision(qty, stop, target, kelly, risk_fraction, None)


def scores_of(c: Candidate, d: Decision, ctx: DecisionContext, config: MiaConfig) -> SignalScores:
    return SignalScores(
        score=c.score, confidence=c.confidence, components=dict(c.components), confluence=c.confluence,
        trends=dict(c.trends), filter_probability=c.filter_probability, filter_models=dict(c.filter_models),
        filter_threshold=config.autopilot.filter_threshold, model_type=c.model_type, model_trained=c.model_trained,
        model_probability=c.model_probability, model_direction=c.model_direction,
        model_threshold=model_threshold(c, config), regime=dict(c.regime),
        gamma_phase=c.gamma_phase, gamma_factor=c.gamma_factor, atr=c.atr, stop_points=c.stop_points,
        reward_risk=config.autopilot.reward_risk, kelly_fraction=d.kelly, risk_fraction=d.risk_fraction,
        level=ctx.level.value, level_factor=ctx.level_factor, volatility_factor=ctx.volatility_factor,
    )


def signal_id(symbol: str, bar_ts: datetime) -> str:
    return f"AP-{symbol}-{bar_ts:%Y%m%dT%H%M}"


def make_signal(c: Candidate, d: Decision, ctx: DecisionContext, config: MiaConfig, *, mode: str,
                decision: SignalDecision, reason: Rejection | None = None, order_id: str | None = None,
                expires_ts: datetime | None = None, decided_ts: datetime | None = None) -> AutopilotSignal:
    """The record of a decided signal. `reason` (a risk-gate refusal) overrides the decision's own."""
    return AutopilotSignal(
        signal_id=signal_id(c.symbol, c.bar_ts), ts=c.ts, bar_ts=c.bar_ts, symbol=c.symbol,
        side=Side.BUY if c.side > 0 else Side.SELL, quantity=d.quantity, entry=c.entry, stop_loss=d.stop_loss,
        take_profit=d.take_profit, decision=decision, reason=reason if reason is not None else d.rejection, mode=mode,
        scores=scores_of(c, d, ctx, config), order_id=order_id, expires_ts=expires_ts, decided_ts=decided_ts,
    )
