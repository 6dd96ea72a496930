"""Typed records of the autopilot: modes, signals with every score that decided them, level changes.

Everything here is immutable and carries plain data (numbers, enums, codes with parameters): no
sentence is written here, the fronts render these records (`assistant/present/autopilot.py`). Why a
signal was refused or expired is a `Rejection` in the one reason-code namespace
(`trading_core.risk.reasons.ReasonCode`: the autopilot's own codes, or the risk gate's).
`to_dict` / `from_dict` give the JSON form the ledger stores (Decimal and datetime as text).
"""
from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

from trading_core.risk.reasons import ReasonCode
from trading_core.types import EVENT_PAYLOADS, EventKind, Rejection, Side

__all__ = ["ReasonCode"]  # re-exported: the autopilot's codes are members of the one namespace


class AutopilotMode(str, enum.Enum):
    OFF = "off"
    PROPOSE = "propose"  # each signal waits for an explicit confirmation (by its id) until it expires
    AUTO = "auto"  # each signal goes to the risk gate and the broker at once


class SignalDecision(str, enum.Enum):
    PROPOSED = "proposed"  # waiting for a confirmation
    EXECUTED = "executed"  # the bracket order was accepted by the risk gate and sent
    REFUSED = "refused"  # a filter, the model, the sizing or the risk gate said no (reason_code)
    EXPIRED = "expired"  # a proposal nobody confirmed in time (or cancelled by a restart / mode change)

    @property
    def is_final(self) -> bool:
        return self is not SignalDecision.PROPOSED


class CatastropheLevel(str, enum.Enum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    CATASTROPHE = "CATASTROPHE"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {CatastropheLevel.INFO: 0, CatastropheLevel.WARNING: 1, CatastropheLevel.CRITICAL: 2,
               CatastropheLevel.CATASTROPHE: 3}
LEVELS_BY_RANK: tuple[CatastropheLevel, ...] = tuple(_LEVEL_RANK)


@dataclass(frozen=True, slots=True)
class SignalScores:
    """Every number that decided a signal, in decision order."""

    score: float  # order-flow ("Battle Navale") score, -1..1
    confidence: float  # share of the score's weight that agrees with the side, 0..1
    components: dict[str, float]  # order_flow, smart_money, momentum, volume_profile, confluence (-1..1)
    confluence: float  # multi-timeframe confluence (1m..4h), -1..1
    trends: dict[str, float]  # per-timeframe trend, -1..1
    filter_probability: float | None  # ML ensemble P(the bracket wins after costs)
    filter_models: dict[str, float]  # per member of the ensemble
    filter_threshold: float
    model_type: str  # ppo_cvar / qr_dqn / ensemble / none
    model_trained: bool
    model_probability: float | None  # trade-probability model, P(win) for this side; None: filter alone
    model_direction: str | None  # the policy's own preferred side (long / short), for the record
    model_threshold: float | None  # the floor the model's probability had to reach
    regime: dict[str, float]  # trend / range / defensive probabilities
    gamma_phase: str
    gamma_factor: float
    atr: float  # points
    stop_points: float
    reward_risk: float
    kelly_fraction: float | None  # capped Kelly fraction (None when not sized)
    risk_fraction: float | None  # fraction of equity at risk after every factor
    level: str  # catastrophe level at decision time
    level_factor: float
    volatility_factor: float  # from the VIX forecast when it beat the naive baseline, else 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SignalScores":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True, slots=True)
class AutopilotSignal:
    """One signal of the autopilot and what became of it. A new decision gives a new record
    (`dataclasses.replace`); the ledger keeps the latest one under the same `signal_id`."""

    signal_id: str
    ts: datetime  # when the signal was decided: the close of its bar (bar start + 1 minute)
    bar_ts: datetime  # start of the bar that raised it
    symbol: str
    side: Side
    quantity: int  # 0 when refused before sizing
    entry: float  # reference price: the bar's close (a market entry fills at the next price)
    stop_loss: float
    take_profit: float
    decision: SignalDecision
    reason: Rejection | None  # why it was refused or expired (None: proposed or executed)
    mode: str  # autopilot mode when decided
    scores: SignalScores
    order_id: str | None = None
    expires_ts: datetime | None = None  # proposals only (wall clock)
    decided_ts: datetime | None = None  # wall clock of the last decision change

    @property
    def reason_code(self) -> str | None:
        return None if self.reason is None else self.reason.code.value

    def to_dict(self) -> dict[str, Any]:
        from trading_core.ledger import rejection_to_dict

        return {
            "signal_id": self.signal_id, "ts": self.ts.isoformat(), "bar_ts": self.bar_ts.isoformat(),
            "symbol": self.symbol, "side": self.side.value, "quantity": self.quantity, "entry": self.entry,
            "stop_loss": self.stop_loss, "take_profit": self.take_profit, "decision": self.decision.value,
            "reason_code": self.reason_code, "reason": rejection_to_dict(self.reason),
            "mode": self.mode, "scores": self.scores.to_dict(), "order_id": self.order_id,
            "expires_ts": None if self.expires_ts is None else self.expires_ts.isoformat(),
            "decided_ts": None if self.decided_ts is None else self.decided_ts.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "AutopilotSignal":
        def ts(v: str | None) -> datetime | None:
            return None if v is None else datetime.fromisoformat(v)

        return cls(
            signal_id=d["signal_id"], ts=datetime.fromisoformat(d["ts"]), bar_ts=datetime.fromisoformat(d["bar_ts"]),
            symbol=d["symbol"], side=Side(d["side"]), quantity=int(d["quantity"]), entry=float(d["entry"]),
            stop_loss=float(d["stop_loss"]), take_profit=float(d["take_profit"]),
            decision=SignalDecision(d["decision"]), reason=_reason_from_dict(d), mode=d.get("mode", ""),
            scores=SignalScores.from_dict(d["scores"]), order_id=d.get("order_id"),
            expires_ts=ts(d.get("expires_ts")), decided_ts=ts(d.get("decided_ts")),
        )


def _reason_from_dict(d: dict[str, Any]) -> Rejection | None:
    """A signal's reason; a record written by autopilot part 1 kept only its code and two sentences."""
    from trading_core.ledger import rejection_from_dict

    if "reason" in d:
        return rejection_from_dict(d["reason"])
    if d.get("reason_code"):
        return rejection_from_dict({"code": d["reason_code"], "message_en": d.get("reason_en", ""),
                                    "message_fr": d.get("reason_fr", "")})
    return None


@dataclass(frozen=True, slots=True)
class ModeChange:
    previous: AutopilotMode
    current: AutopilotMode
    reason: str  # "user", "halt", "kill_switch", "restart", "catastrophe", ...

    def to_dict(self) -> dict[str, Any]:
        return {"previous": self.previous.value, "current": self.current.value, "reason": self.reason}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ModeChange":
        return cls(AutopilotMode(d["previous"]), AutopilotMode(d["current"]), str(d["reason"]))


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A catastrophe level change with the figures that set it and the action taken."""

    previous: CatastropheLevel
    current: CatastropheLevel
    daily_loss: float  # USD lost this session, realised after commissions (>= 0)
    consecutive_losses: int
    drawdown_pct: float  # closed-trade equity below its peak, % of the peak
    triggers: tuple[str, ...]  # which measures are at the current level: daily_loss / consecutive_losses / drawdown
    action: str  # none / size_reduced / reduce_only / halt_and_flatten

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["previous"], d["current"], d["triggers"] = self.previous.value, self.current.value, list(self.triggers)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LevelChange":
        return cls(CatastropheLevel(d["previous"]), CatastropheLevel(d["current"]), float(d["daily_loss"]),
                   int(d["consecutive_losses"]), float(d["drawdown_pct"]), tuple(d.get("triggers", ())),
                   str(d["action"]))


@dataclass(frozen=True, slots=True)
class SetModeResult:
    ok: bool
    mode: AutopilotMode  # the mode in force after the call
    code: str | None = None  # why it was refused: LIVE_ACK_REQUIRED, ENGINE_HALTED
    reason: str = "user"  # why the mode changed: user, halt, kill_switch, daily_loss, restart, live_ack


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    ok: bool
    signal: AutopilotSignal | None
    code: str | None = None  # UNKNOWN_SIGNAL, NOT_PENDING, EXPIRED, DECLINED (ok), or REFUSED (see `rejection`)
    rejection: Rejection | None = None  # the risk gate's or the broker's refusal of the bracket
    duplicate: bool = False  # the proposal had already been executed: nothing new was sent


@dataclass(frozen=True, slots=True)
class AutopilotStatus:
    mode: AutopilotMode
    model_type: str
    model_trained: bool
    model_message_en: str  # e.g. "no trained PPO-CVaR model: filter alone"
    model_message_fr: str
    symbols: tuple[str, ...]
    level: CatastropheLevel
    pending: tuple[AutopilotSignal, ...]
    last_signals: tuple[AutopilotSignal, ...]
    bars_seen: dict[str, int]
    ready: bool  # enough history and models loaded
    volatility_factor_used: bool
    extras: dict[str, Any] = field(default_factory=dict)


# The engine checks each event's payload against its kind: these are the autopilot's (registered here,
# because trading_core.types cannot import this module, which imports it).
EVENT_PAYLOADS.update({
    EventKind.AUTOPILOT_PROPOSAL: (AutopilotSignal,),
    EventKind.AUTOPILOT_EXECUTED: (AutopilotSignal,),
    EventKind.AUTOPILOT_REFUSED: (AutopilotSignal,),
    EventKind.AUTOPILOT_EXPIRED: (AutopilotSignal,),
    EventKind.AUTOPILOT_MODE: (ModeChange,),
    EventKind.CATASTROPHE_LEVEL: (LevelChange,),
})
