"""What the dashboard shows, gathered from the engine API, the monitor and the command log into one
JSON-ready dict (`DashboardState.snapshot()`), pushed to the page over server-sent events.

Money goes out as floats (display only; the ledger keeps the exact Decimals). The intelligence panels
(regime, SHAP, CVaR, QR-DQN, ensemble) are refreshed on a worker thread (`refresh_intelligence`), since
the first query loads or trains models for seconds; until then the page says they are loading.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from dataclasses import asdict, is_dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, overload

from assistant.present.reasons import reason_msg
from assistant.present.text import Surface, render
from assistant.dashboard.autopilot_panel import AutopilotPanel
from trading_core import calendar as cme
from trading_core.protocols import EngineAPI
from trading_core.types import Order, OrderStatus

log = logging.getLogger("mia.dashboard")

MAX_CURVE_POINTS = 400  # equity points sent to the page (the curve is thinned evenly)
PRICE_POINTS = 600  # price samples kept per symbol
EQUITY_REREAD_S = 5.0  # the ledger's equity curve is re-read at most this often


def _f(value: Any) -> float | None:
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


@overload
def _iso(ts: datetime) -> str: ...
@overload
def _iso(ts: None) -> None: ...
def _iso(ts: datetime | None) -> str | None:
    return ts.astimezone(timezone.utc).isoformat() if ts is not None else None


def _thin(points: list[Any], n: int) -> list[Any]:
    if len(points) <= n:
        return points
    step = (len(points) - 1) / (n - 1)
    return [points[round(i * step)] for i in range(n)]


def order_dict(o: Order) -> dict[str, Any]:
    price = o.limit_price if o.limit_price is not None else o.stop_price
    reason_en, reason_fr = (render(reason_msg(o.reason), "en", Surface.PAGE),
                            render(reason_msg(o.reason), "fr", Surface.PAGE)) if o.reason else (None, None)
    return {
        "id": o.order_id, "ts": _iso(o.created_ts), "symbol": o.symbol, "side": o.side.value, "qty": o.quantity,
        "type": o.order_type.value, "status": o.status.value, "price": price, "filled": o.filled_quantity,
        "avg_fill": o.avg_fill_price, "source": o.source, "parent": o.parent_id,
        "reason_code": o.reason.code.value if o.reason else None,
        "reason_en": reason_en,
        "reason_fr": reason_fr,
    }


def _report(report: Any) -> dict[str, Any] | None:
    """An RL report (CvarReport, QuantileReport, EnsembleWeightsReport) as plain JSON."""
    if report is None:
        return None
    if not is_dataclass(report) or isinstance(report, type):
        return {"trained": False, "message_en": str(report), "message_fr": str(report)}
    d = asdict(report)
    if "history" in d:  # (step, cvar, lambda) rows, the last 300 are enough for a chart
        d["history"] = d["history"][-300:]
    return clean(d)


class DashboardState:
    def __init__(
        self,
        engine: EngineAPI,
        config: Any,
        *,
        monitor: Any | None = None,
        commands: Any | None = None,
        intelligence: bool = True,
    ) -> None:
        self.engine = engine
        self.config = config
        self.monitor = monitor
        self.commands = commands if commands is not None else getattr(monitor, "commands", None)
        self.market: str = config.market
        self.intelligence_enabled = intelligence
        self.prices: dict[str, deque[tuple[str, float]]] = {s: deque(maxlen=PRICE_POINTS) for s in engine.symbols}
        self.regime_marks: dict[str, deque[tuple[str, str]]] = {s: deque(maxlen=PRICE_POINTS) for s in engine.symbols}
        self.intel: dict[str, Any] = {"status": "off" if not intelligence else "loading"}
        self._equity: list[Any] = []
        self._equity_read = 0.0
        self._metrics: tuple[int, Any] | None = None
        self.autopilot = AutopilotPanel(engine)
        self.version = 0  # bumped whenever something the page shows may have changed
        self.changed = asyncio.Event()
        self._seed_prices()

    # -- change tracking --------------------------------------------------------------------------
    def touch(self) -> None:
        self.version += 1
        self.changed.set()

    def _seed_prices(self) -> None:
        for sym in self.prices:
            for b in self.engine.bars(sym, PRICE_POINTS):
                self.prices[sym].append((_iso(b.ts + timedelta(minutes=1)), b.close))

    def sample_prices(self) -> bool:
        """Append each symbol's last price when it moved; True when anything moved."""
        moved = False
        now = _iso(self.engine.now())
        for sym, px in self.engine.last_prices().items():
            series = self.prices.setdefault(sym, deque(maxlen=PRICE_POINTS))
            if not series or series[-1][1] != px:
                series.append((now, px))
                moved = True
        return moved

    # -- intelligence (worker thread) --------------------------------------------------------------
    def refresh_intelligence(self) -> dict[str, Any]:
        """Query regime, SHAP and the RL reports. Runs on a worker thread with its own event loop:
        the engine's intelligence methods are synchronous work behind async signatures."""
        engine, market = self.engine, self.market
        out: dict[str, Any] = {"status": "ready", "ts": time.time()}

        async def gather() -> None:
            try:
                info = await engine.regime(market)
                out["regime"] = {
                    "symbol": info.symbol, "regime": info.regime, "probability": info.probability,
                    "distribution": info.distribution, "name_en": info.name("en"), "name_fr": info.name("fr"),
                    "bars_seen": info.bars_seen, "source": info.model_source,
                }
            except Exception as exc:
                out["regime_error"] = _error(exc)
            try:
                feats = await engine.top_features(10)
                out["features"] = [{"name": f.name, "value": _f(f.value)} for f in feats]
            except Exception as exc:
                out["features_error"] = _error(exc)
            for key, call in (("cvar", engine.cvar_loss), ("quantiles", engine.qr_quantiles),
                              ("ensemble", engine.ensemble_weights)):
                try:
                    out[key] = _report(await call())
                except Exception as exc:
                    out[key] = {"trained": False, **_error(exc)}

        asyncio.run(gather())
        return out

    def apply_intelligence(self, intel: dict[str, Any]) -> None:
        self.intel = intel
        regime = intel.get("regime")
        if regime and regime.get("regime") not in (None, "unknown"):
            marks = self.regime_marks.setdefault(regime["symbol"], deque(maxlen=PRICE_POINTS))
            now = _iso(self.engine.now())
            if not marks or marks[-1][1] != regime["regime"]:
                marks.append((now, regime["regime"]))
        self.touch()

    # -- snapshot ---------------------------------------------------------------------------------
    async def _performance(self) -> Any:
        closed = self.engine.closed_trade_count()
        if self._metrics is None or self._metrics[0] != closed:
            self._metrics = (closed, await self.engine.performance_metrics())
        return self._metrics[1]

    def _equity_curve(self, now: datetime) -> list[list[Any]]:
        if time.monotonic() - self._equity_read > EQUITY_REREAD_S or not self._equity:
            since = now - timedelta(days=7)
            self._equity = self.engine.equity_curve(since=since)
            self._equity_read = time.monotonic()
        pts = [[_iso(p.ts), float(p.equity)] for p in self._equity]
        return _thin(pts, MAX_CURVE_POINTS)

    async def snapshot(self) -> dict[str, Any]:
        engine = self.engine
        now = engine.now()
        status = await engine.status()
        acct = await engine.account()
        pnl = await engine.pnl_today()
        m = await self._performance()
        positions = await engine.positions()
        orders = await engine.recent_orders(30)
        curve = self._equity_curve(now)
        curve.append([_iso(now), float(acct.equity)])  # the live mark, between ledger minutes
        trades = engine.closed_trades()[-100:]
        snap: dict[str, Any] = {
            "version": self.version,
            "ts": _iso(now),
            "wall_ts": time.time(),
            "market": self.market,
            "lang": "fr" if self.config.language == "fr" else "en",
            "mode": status.mode,
            "state": status.state.value,
            "broker": status.broker,
            "broker_connected": status.broker_connected,
            "feed": status.feed,
            "market_open": cme.is_market_open(now),
            "session": pnl.day,
            "prices": {k: v for k, v in sorted(status.last_prices.items())},
            "account": {
                "equity": _f(acct.equity), "cash": _f(acct.cash), "realized": _f(acct.realized_pnl),
                "unrealized": _f(acct.unrealized_pnl), "commissions": _f(acct.commissions),
                "starting": _f(acct.starting_balance),
            },
            "pnl": {"total": _f(pnl.total), "realized": _f(pnl.realized), "unrealized": _f(pnl.unrealized),
                    "commissions": _f(pnl.commissions), "fills": pnl.trades},
            "metrics": {
                "trades": m.trades, "wins": m.wins, "losses": m.losses, "win_rate": m.win_rate,
                "profit_factor": _f(m.profit_factor), "net": _f(m.net_pnl), "largest_win": _f(m.largest_win),
                "largest_loss": _f(m.largest_loss), "max_drawdown": _f(m.max_drawdown),
                "max_drawdown_pct": _f(m.max_drawdown_pct),
            },
            "risk_percent": _f(status.risk_percent),
            "consecutive_losses": status.consecutive_losses,
            "equity_curve": curve,
            "trades": [{"symbol": t.symbol, "side": t.side.value, "qty": t.quantity, "pnl": _f(t.pnl),
                        "closed": _iso(t.closed_ts)} for t in trades],
            "positions": [{"symbol": p.symbol, "qty": p.quantity, "avg": p.avg_price, "last": p.market_price,
                           "unrealized": _f(p.unrealized_pnl)} for p in positions],
            "working": [order_dict(o) for o in await engine.working_orders()],
            "orders": [order_dict(o) for o in reversed(orders)],  # newest first
            "rejections": [order_dict(o) for o in reversed(orders) if o.status is OrderStatus.REJECTED][:10],
            "price_series": {s: [list(x) for x in series] for s, series in self.prices.items()},
            "regime_marks": {s: [list(x) for x in marks] for s, marks in self.regime_marks.items()},
            "intel": self.intel,
            "monitor": self._monitor(),
            "commands": [c.to_dict() for c in self.commands.recent(15)] if self.commands is not None else [],
            "autopilot": self.autopilot.snapshot(),
        }
        return snap

    def _monitor(self) -> dict[str, Any] | None:
        mon = self.monitor
        if mon is None:
            return None
        snap = mon.last
        out: dict[str, Any] = {"levels": {}, "latency": [], "system": None, "ml": None, "alerts": []}
        if snap is not None:
            out["levels"] = snap.levels
            out["system"] = asdict(snap.system) if snap.system is not None else None
            out["ml"] = asdict(snap.ml)
        out["latency"] = [asdict(s) for s in mon.latency.all_stats()]
        out["alerts"] = [
            {"ts": a.alert.ts.isoformat(), "priority": a.alert.priority,
             "title_en": a.alert.title("en", Surface.PAGE), "title_fr": a.alert.title("fr", Surface.PAGE),
             "body_en": a.alert.body("en", Surface.PAGE), "body_fr": a.alert.body("fr", Surface.PAGE),
             "level": a.transition.current.name.lower()}
            for a in list(mon.history)[-10:][::-1]
        ]
        out["thresholds"] = {
            "cpu": [mon.config.monitoring.cpu_warning, mon.config.monitoring.cpu_critical],
            "memory": [mon.config.monitoring.memory_warning, mon.config.monitoring.memory_critical],
            "latency": [mon.config.monitoring.latency_warning_s, mon.config.monitoring.latency_critical_s],
        }
        return out


def _error(exc: Exception) -> dict[str, str]:
    msg = getattr(exc, "message", None)
    if callable(msg):
        return {"message_en": msg("en"), "message_fr": msg("fr")}
    text = str(exc) or type(exc).__name__
    return {"message_en": text, "message_fr": text}


def clean(value: Any) -> Any:
    """JSON-safe copy: NaN / infinity become null (the browser's JSON.parse refuses them), Decimals and
    datetimes become numbers and ISO strings, tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return _f(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, deque)):
        return [clean(v) for v in value]
    if hasattr(value, "value") and isinstance(getattr(value, "value"), str):  # enums
        return value.value
    return value
