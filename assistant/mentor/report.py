"""The mentor's daily report, computed from the closed trades and the equity curve of one CME session.

Numbers (trades, win rate, profit factor, largest win / loss, drawdown) use the engine's own
`performance_metrics` on the day's trades, so the report and `mia metrics` never disagree on a
definition. Setups group the trades by side × time of day (ET session phase), or by side × market regime
when the regime at entry is known. Lessons are computed from the trades themselves:
- losses after consecutive losses (trades taken with two or more losses in a row behind them);
- re-entry right after a loss on the same symbol;
- trades against the regime (against the trend's direction, or in the defensive regime);
- oversized trades (above the day's median size) carrying the losses;
- losers held longer than winners;
- one loss wiping out several average wins.
Each lesson carries its evidence and a suggestion; celebrations are computed the same way.
"""
from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from assistant.present.money import format_money
from assistant.present.numbers import format_fraction, format_number, format_percent
from trading_core import calendar as cme
from trading_core.metrics import performance_metrics
from trading_core.portfolio import ClosedTrade
from trading_core.types import PerformanceMetrics, Side

ET = ZoneInfo("America/New_York")
_ZERO = Decimal(0)

TILT_STREAK = 2  # losses in a row after which a new trade counts as "after consecutive losses"
REVENGE_WINDOW = timedelta(minutes=2)  # re-entry this soon after a loss on the same symbol
HOLD_RATIO = 1.5  # losers held this many times longer than winners is a lesson
BIG_LOSS_RATIO = 2.0  # a loss larger than this many average wins is a lesson

# Session phases, ET: (start, name_en, name_fr). The phase of a time is the last one started.
PHASES: tuple[tuple[time, str, str], ...] = (
    (time(0, 0), "overnight", "nuit"),
    (time(9, 30), "open", "ouverture"),
    (time(11, 0), "midday", "mi-journée"),
    (time(14, 0), "close", "clôture"),
    (time(17, 0), "overnight", "nuit"),
)
PHASE_PHRASES = {
    "overnight": ("overnight", "de nuit"),
    "open": ("at the open", "à l'ouverture"),
    "midday": ("at midday", "à la mi-journée"),
    "close": ("into the close", "en fin de séance"),
}
REGIME_PHRASES = {
    "trend": ("in a trend", "en marché de tendance"),
    "range": ("in a range", "en marché de range"),
    "defensive": ("in the defensive regime", "en régime défensif"),
    "unknown": ("with the regime unknown", "avec un régime inconnu"),
}

# regime_at(symbol, ts) -> (regime, direction) or regime or None; direction +1 up-trend, -1 down-trend, 0 unknown
RegimeLookup = Callable[[str, datetime], "tuple[str, int] | str | None"]


def phase_of(ts: datetime) -> tuple[str, str]:
    local = ts.astimezone(ET).time()
    en, fr = PHASES[0][1], PHASES[0][2]
    for start, p_en, p_fr in PHASES:
        if local >= start:
            en, fr = p_en, p_fr
    return en, fr


def side_words(side: Side) -> tuple[str, str]:
    return ("long", "achat") if side is Side.BUY else ("short", "vente")


@dataclass(frozen=True, slots=True)
class Setup:
    key: str  # "long/open", "short/trend"...
    label_en: str
    label_fr: str
    trades: int
    wins: int
    net_pnl: Decimal

    @property
    def win_rate(self) -> float:
        return self.wins / self.trades if self.trades else 0.0

    def label(self, lang: str) -> str:
        return self.label_fr if lang == "fr" else self.label_en


@dataclass(frozen=True, slots=True)
class Lesson:
    code: str  # after_losses, revenge, against_regime, oversized, held_losers, big_loss, losses
    text_en: str
    text_fr: str
    suggestion_en: str
    suggestion_fr: str
    trades: int  # trades concerned
    cost: Decimal  # their net P&L (negative: what the pattern cost)

    def text(self, lang: str) -> str:
        return self.text_fr if lang == "fr" else self.text_en

    def suggestion(self, lang: str) -> str:
        return self.suggestion_fr if lang == "fr" else self.suggestion_en


@dataclass(frozen=True, slots=True)
class Note:
    code: str
    text_en: str
    text_fr: str

    def text(self, lang: str) -> str:
        return self.text_fr if lang == "fr" else self.text_en


@dataclass(frozen=True)
class DailyReport:
    day: date
    trades: tuple[ClosedTrade, ...]
    metrics: PerformanceMetrics
    start_equity: Decimal
    commissions: Decimal
    largest_win_trade: ClosedTrade | None
    largest_loss_trade: ClosedTrade | None
    avg_hold_win_s: float | None
    avg_hold_loss_s: float | None
    setups: tuple[Setup, ...]
    best_setup: Setup | None
    worst_setup: Setup | None
    setup_basis: str  # "phase" or "regime"
    lessons: tuple[Lesson, ...]
    suggestions: tuple[Note, ...]
    celebrations: tuple[Note, ...]
    symbols: tuple[str, ...] = field(default=())
    autopilot: Any = None  # trading_core.autopilot.stats.AutopilotStats of the session, when known

    @property
    def win_rate(self) -> float:
        return self.metrics.win_rate

    @property
    def profit_factor(self) -> float | None:
        return self.metrics.profit_factor


def _sign(side: Side) -> int:
    return 1 if side is Side.BUY else -1


def _regime_of(lookup: RegimeLookup | None, trade: ClosedTrade) -> tuple[str | None, int]:
    if lookup is None:
        return None, 0
    try:
        found = lookup(trade.symbol, trade.opened_ts)
    except Exception:  # a broken regime record must not stop the report
        return None, 0
    if found is None:
        return None, 0
    if isinstance(found, str):
        return found, 0
    regime, direction = found
    return regime, int(direction)


def _setups(trades: Sequence[ClosedTrade], lookup: RegimeLookup | None) -> tuple[list[Setup], str]:
    regimes = [_regime_of(lookup, t)[0] for t in trades]
    known = [r for r in regimes if r and r != "unknown"]
    basis = "regime" if trades and len(known) * 2 >= len(trades) else "phase"
    groups: dict[str, list[Any]] = {}
    for t, regime in zip(trades, regimes):
        s_en, s_fr = side_words(t.side)
        if basis == "regime":
            r = regime if regime in REGIME_PHRASES else "unknown"
            key, en, fr = f"{s_en}/{r}", f"{s_en} {REGIME_PHRASES[r][0]}", f"{s_fr} {REGIME_PHRASES[r][1]}"
        else:
            p_en, p_fr = phase_of(t.opened_ts)
            key = f"{s_en}/{p_en}"
            en, fr = f"{s_en} {PHASE_PHRASES[p_en][0]}", f"{s_fr} {PHASE_PHRASES[p_en][1]}"
        g = groups.setdefault(key, [en, fr, 0, 0, _ZERO])
        g[2] += 1
        g[3] += 1 if t.pnl > 0 else 0
        g[4] += t.pnl
    setups = [Setup(k, en, fr, n, w, net) for k, (en, fr, n, w, net) in groups.items()]
    setups.sort(key=lambda s: (-s.net_pnl, s.key))
    return setups, basis


# The project's one set of locale formatters (assistant.present): "-$1,502.25" / "-1 502,25 $".
def _money_en(v: Decimal) -> str:
    return format_money(v, "en")


def _money_fr(v: Decimal) -> str:
    return format_money(v, "fr")


def _pct_en(x: float) -> str:
    return format_fraction(x, "en", 0)


def _pct_fr(x: float) -> str:
    return format_fraction(x, "fr", 0)


def _dur_en(s: float) -> str:
    return f"{format_number(s / 60, 'en', 1, 1)} min" if s >= 60 else f"{s:.0f} s"


def _dur_fr(s: float) -> str:
    return f"{format_number(s / 60, 'fr', 1, 1)} min" if s >= 60 else f"{s:.0f} s"


def _n(count: int, one: str, many: str) -> str:
    """"1 trade" / "3 trades": `many` may use {n}."""
    return one if count == 1 else many.format(n=count)


def _lessons(trades: Sequence[ClosedTrade], lookup: RegimeLookup | None, m: PerformanceMetrics) -> list[Lesson]:
    out: list[Lesson] = []
    by_close = sorted(trades, key=lambda t: t.closed_ts)
    by_open = sorted(trades, key=lambda t: t.opened_ts)

    # 1. trades taken with >= TILT_STREAK losses in a row behind them (closed at or before the entry)
    tilt: list[ClosedTrade] = []
    streak, j = 0, 0
    for t in by_open:
        while j < len(by_close) and by_close[j].closed_ts <= t.opened_ts:
            streak = streak + 1 if by_close[j].pnl < 0 else 0
            j += 1
        if streak >= TILT_STREAK:
            tilt.append(t)
    if tilt:
        net = sum((t.pnl for t in tilt), _ZERO)
        tilt_ids = {id(t) for t in tilt}
        rest = [t for t in trades if id(t) not in tilt_ids]
        wr_tilt = sum(1 for t in tilt if t.pnl > 0) / len(tilt)
        wr_rest = sum(1 for t in rest if t.pnl > 0) / len(rest) if rest else None
        if net < 0:
            cmp_en = f" against {_pct_en(wr_rest)} for your other trades" if wr_rest is not None else ""
            cmp_fr = f" contre {_pct_fr(wr_rest)} pour vos autres trades" if wr_rest is not None else ""
            out.append(Lesson(
                "after_losses",
                f"After {TILT_STREAK} or more losses in a row you took "
                f"{_n(len(tilt), 'one more trade', '{n} more trades')}: {_n(len(tilt), 'it', 'they')} lost "
                f"{_money_en(-net)} in total, win rate {_pct_en(wr_tilt)}{cmp_en}.",
                f"Après {TILT_STREAK} pertes consécutives ou plus, vous avez pris "
                f"{_n(len(tilt), 'un trade de plus', '{n} trades de plus')} : "
                f"{_money_fr(-net)} de pertes au total, taux de réussite {_pct_fr(wr_tilt)}{cmp_fr}.",
                f"Take a 15-minute break after {TILT_STREAK} losses in a row before the next trade.",
                f"Faites une pause de 15 minutes après {TILT_STREAK} pertes consécutives avant le trade suivant.",
                len(tilt), net,
            ))

    # 2. re-entry on the same symbol right after a loss (the last trade closed on it was a loss)
    revenge: list[ClosedTrade] = []
    last_close: dict[str, ClosedTrade] = {}
    j = 0
    for t in by_open:
        while j < len(by_close) and by_close[j].closed_ts <= t.opened_ts:
            last_close[by_close[j].symbol] = by_close[j]
            j += 1
        prev = last_close.get(t.symbol)
        if prev is not None and prev is not t and prev.pnl < 0 and t.opened_ts - prev.closed_ts <= REVENGE_WINDOW:
            revenge.append(t)
    if revenge:
        net = sum((t.pnl for t in revenge), _ZERO)
        if net < 0:
            secs = int(REVENGE_WINDOW.total_seconds() // 60)
            out.append(Lesson(
                "revenge",
                f"{_n(len(revenge), 'One trade was', '{n} trades were')} opened within {secs} minutes of a loss "
                f"on the same market; {_n(len(revenge), 'it', 'together they')} lost {_money_en(-net)}.",
                f"{_n(len(revenge), 'Un trade ouvert', '{n} trades ouverts')} moins de {secs} minutes après une perte "
                f"sur le même marché : {_money_fr(-net)} de pertes.",
                "After a loss, wait for a fresh setup instead of re-entering at once.",
                "Après une perte, attendez un nouveau signal au lieu de reprendre position aussitôt.",
                len(revenge), net,
            ))

    # 3. against the regime
    against: list[ClosedTrade] = []
    for t in trades:
        regime, direction = _regime_of(lookup, t)
        if regime == "defensive" or (regime == "trend" and direction != 0 and _sign(t.side) != direction):
            against.append(t)
    if against:
        net = sum((t.pnl for t in against), _ZERO)
        if net < 0:
            out.append(Lesson(
                "against_regime",
                f"{_n(len(against), 'One trade', '{n} trades')} went against the market regime (against the trend, "
                f"or in the high-volatility defensive regime) and lost {_money_en(-net)} in total.",
                f"{_n(len(against), 'Un trade', '{n} trades')} à contre-courant du régime de marché (contre la "
                f"tendance, ou en régime défensif de forte volatilité) : {_money_fr(-net)} de pertes au total.",
                "Trade with the trend, and cut the size or stand aside when the regime is defensive.",
                "Tradez dans le sens de la tendance, et réduisez la taille ou restez à l'écart en régime défensif.",
                len(against), net,
            ))

    # 4. oversized trades carrying the losses
    sizes = [t.quantity for t in trades]
    if len(set(sizes)) > 1:
        median = statistics.median(sizes)
        big = [t for t in trades if t.quantity > median]
        big_loss = sum((-t.pnl for t in big if t.pnl < 0), _ZERO)
        net = sum((t.pnl for t in big), _ZERO)
        if big and net < 0 and m.gross_loss > 0:
            share = float(big_loss / m.gross_loss)
            if share > len(big) / len(trades):
                med = f"{median:g}"
                out.append(Lesson(
                    "oversized",
                    f"{_n(len(big), 'Your larger trade', 'Your {n} larger trades')} (more than {med} "
                    f"contract{'s' if median >= 2 else ''}) made {_pct_en(share)} of the day's losses "
                    f"({_money_en(big_loss)}); net result {_money_en(net)}.",
                    f"{_n(len(big), 'Votre trade le plus gros', 'Vos {n} trades les plus gros')} (plus de {med} "
                    f"contrat{'s' if median >= 2 else ''}) {_n(len(big), 'fait', 'font')} {_pct_fr(share)} des pertes "
                    f"du jour ({_money_fr(big_loss)}) ; résultat net {_money_fr(net)}.",
                    "Keep the size steady: let the risk percentage set it, not the last result.",
                    "Gardez une taille régulière : laissez le pourcentage de risque la fixer, pas le dernier résultat.",
                    len(big), net,
                ))

    # 5. losers held longer than winners
    win_h = [(t.closed_ts - t.opened_ts).total_seconds() for t in trades if t.pnl > 0]
    loss_h = [(t.closed_ts - t.opened_ts).total_seconds() for t in trades if t.pnl < 0]
    if win_h and loss_h:
        aw, al = sum(win_h) / len(win_h), sum(loss_h) / len(loss_h)
        if al > HOLD_RATIO * aw and al > 0:
            net = sum((t.pnl for t in trades if t.pnl < 0), _ZERO)
            out.append(Lesson(
                "held_losers",
                f"You held losing trades {_dur_en(al)} on average, against {_dur_en(aw)} for winners: "
                f"losers were given {format_number(al / aw, 'en', 1, 1) if aw else '∞'} times more time.",
                f"Vous avez gardé les trades perdants {_dur_fr(al)} en moyenne, contre {_dur_fr(aw)} pour les gagnants : "
                f"{format_number(al / aw, 'fr', 1, 1) if aw else '∞'} fois plus de temps pour les pertes.",
                "Place the stop when you enter and do not move it away; cut losers as fast as you take profits.",
                "Placez le stop dès l'entrée sans l'éloigner ; coupez les pertes aussi vite que vous prenez les gains.",
                len(loss_h), net,
            ))

    # 6. one loss wiping out several average wins
    if m.wins and m.losses and m.average_win > 0 and m.largest_loss > Decimal(str(BIG_LOSS_RATIO)) * m.average_win:
        ratio = float(m.largest_loss / m.average_win)
        out.append(Lesson(
            "big_loss",
            f"Your largest loss ({_money_en(m.largest_loss)}) wiped out {format_number(ratio, 'en', 1, 1)} average wins "
            f"({_money_en(m.average_win)} each).",
            f"Votre plus grosse perte ({_money_fr(m.largest_loss)}) a effacé {format_number(ratio, 'fr', 1, 1)} gains "
            f"moyens ({_money_fr(m.average_win)} chacun).",
            "Enter with a protective stop every time (a bracket order: mia order … --stop … --target …).",
            "Entrez toujours avec un stop de protection (ordre bracket : mia order … --stop … --target …).",
            1, -m.largest_loss,
        ))

    if m.losses and not out:
        loss_net = sum((t.pnl for t in trades if t.pnl < 0), _ZERO)
        out.append(Lesson(
            "losses",
            f"{m.losses} losing trade(s) cost {_money_en(-loss_net)}; average loss {_money_en(m.average_loss)} "
            f"against an average win of {_money_en(m.average_win)}.",
            f"{m.losses} trade(s) perdant(s) pour {_money_fr(-loss_net)} ; perte moyenne {_money_fr(m.average_loss)} "
            f"contre un gain moyen de {_money_fr(m.average_win)}.",
            "Review each losing entry: was the signal there, and was the stop where the setup said?",
            "Revoyez chaque entrée perdante : le signal était-il là, et le stop là où le plan le disait ?",
            m.losses, loss_net,
        ))
    return out


def _celebrations(trades: Sequence[ClosedTrade], m: PerformanceMetrics, lessons: Sequence[Lesson],
                  best: ClosedTrade | None, start_equity: Decimal) -> list[Note]:
    out: list[Note] = []
    if not trades:
        return out
    if m.net_pnl > 0:
        out.append(Note("green_day", f"Green day: {_money_en(m.net_pnl)} net after commissions.",
                        f"Journée positive : {_money_fr(m.net_pnl)} net après commissions."))
    if m.trades >= 3 and m.win_rate >= 0.6:
        out.append(Note("win_rate", f"{_pct_en(m.win_rate)} of your trades were winners.",
                        f"{_pct_fr(m.win_rate)} de vos trades étaient gagnants."))
    if m.profit_factor is not None and m.profit_factor >= 2:
        out.append(Note("profit_factor",
                        f"Profit factor {format_number(m.profit_factor, 'en', 2, 2)}: your wins were at least twice your losses.",
                        f"Facteur de profit {format_number(m.profit_factor, 'fr', 2, 2)} : vos gains valent au moins le "
                        "double de vos pertes."))
    streak = best_streak = 0
    for t in sorted(trades, key=lambda t: t.closed_ts):
        streak = streak + 1 if t.pnl > 0 else 0
        best_streak = max(best_streak, streak)
    if best_streak >= 3:
        out.append(Note("streak", f"{best_streak} winning trades in a row.", f"{best_streak} trades gagnants d'affilée."))
    if best is not None and best.pnl > 0:
        s_en, s_fr = side_words(best.side)
        out.append(Note("best_trade", f"Best trade: {s_en} {best.quantity} {best.symbol}, {_money_en(best.pnl)}.",
                        f"Meilleur trade : {s_fr} de {best.quantity} {best.symbol}, {_money_fr(best.pnl)}."))
    codes = {lesson.code for lesson in lessons}
    if m.losses and not codes & {"after_losses", "revenge"}:
        out.append(Note("discipline", "After your losses you did not chase the market: no revenge trade.",
                        "Après vos pertes, vous n'avez pas couru après le marché : aucun trade de revanche."))
    if start_equity > 0 and m.max_drawdown_pct < 0.5:
        out.append(Note("drawdown", f"Drawdown held to {_money_en(m.max_drawdown)} "
                                    f"({format_percent(m.max_drawdown_pct, 'en', 2)} of the peak).",
                        f"Drawdown limité à {_money_fr(m.max_drawdown)} ({format_percent(m.max_drawdown_pct, 'fr', 2)} du sommet)."))
    return out


def _suggestions(lessons: Sequence[Lesson], best: Setup | None, worst: Setup | None, trades: int) -> list[Note]:
    out: list[Note] = []
    if not trades:
        return [Note("no_trades", "No trade this session: nothing to correct. Prepare your plan for the next one.",
                     "Aucun trade cette séance : rien à corriger. Préparez votre plan pour la prochaine.")]
    # the costliest patterns first
    for lesson in sorted(lessons, key=lambda x: x.cost):
        out.append(Note(lesson.code, lesson.suggestion_en, lesson.suggestion_fr))
    if best is not None and best.net_pnl > 0:
        out.append(Note("best_setup",
                        f"Your edge today was {best.label_en} ({best.trades} trade(s), {_money_en(best.net_pnl)}): look for it first.",
                        f"Votre avantage aujourd'hui : {best.label_fr} ({best.trades} trade(s), {_money_fr(best.net_pnl)}) : cherchez-le en priorité."))
    if worst is not None and worst.net_pnl < 0 and (best is None or worst.key != best.key):
        out.append(Note("worst_setup",
                        f"Reduce size or skip {worst.label_en} until it proves itself ({_money_en(worst.net_pnl)} today).",
                        f"Réduisez la taille ou évitez {worst.label_fr} tant qu'il ne fait pas ses preuves ({_money_fr(worst.net_pnl)} aujourd'hui)."))
    return out


def session_trades(trades: Sequence[ClosedTrade], day: date) -> list[ClosedTrade]:
    return [t for t in trades if cme.session_date(t.closed_ts) == day]


def build_daily_report(
    closed_trades: Sequence[ClosedTrade],
    equity_curve: Sequence[Any],
    starting_balance: Decimal,
    day: date,
    regime_at: RegimeLookup | None = None,
) -> DailyReport:
    """The report of CME session `day` (trades closed in that session).

    `equity_curve`: the ledger's EquityPoints (all of them; the day's are selected). The drawdown is
    measured from the equity at the start of the session (the last point before it, else the starting
    balance plus the P&L of the trades closed before)."""
    trades = sorted(session_trades(closed_trades, day), key=lambda t: t.closed_ts)
    day_points = [p for p in equity_curve if cme.session_date(p.ts) == day]
    before = [p for p in equity_curve if cme.session_date(p.ts) < day]
    if before:
        start_equity = before[-1].equity
    else:
        start_equity = Decimal(starting_balance) + sum(
            (t.pnl for t in closed_trades if cme.session_date(t.closed_ts) < day), _ZERO)
    m = performance_metrics(trades, day_points, start_equity)
    wins = [t for t in trades if t.pnl > 0]
    losses = [t for t in trades if t.pnl < 0]
    best_trade = max(wins, key=lambda t: t.pnl) if wins else None
    worst_trade = min(losses, key=lambda t: t.pnl) if losses else None
    setups, basis = _setups(trades, regime_at)
    positive = [s for s in setups if s.net_pnl > 0]
    negative = [s for s in setups if s.net_pnl < 0]
    best = max(positive, key=lambda s: (s.net_pnl, s.win_rate)) if positive else None
    worst = min(negative, key=lambda s: (s.net_pnl, -s.win_rate)) if negative else None
    lessons = _lessons(trades, regime_at, m)
    hold_w = [(t.closed_ts - t.opened_ts).total_seconds() for t in wins]
    hold_l = [(t.closed_ts - t.opened_ts).total_seconds() for t in losses]
    return DailyReport(
        day=day,
        trades=tuple(trades),
        metrics=m,
        start_equity=start_equity,
        commissions=sum((t.commission for t in trades), _ZERO),
        largest_win_trade=best_trade,
        largest_loss_trade=worst_trade,
        avg_hold_win_s=sum(hold_w) / len(hold_w) if hold_w else None,
        avg_hold_loss_s=sum(hold_l) / len(hold_l) if hold_l else None,
        setups=tuple(setups),
        best_setup=best,
        worst_setup=worst,
        setup_basis=basis,
        lessons=tuple(lessons),
        suggestions=tuple(_suggestions(lessons, best, worst, len(trades))),
        celebrations=tuple(_celebrations(trades, m, lessons, best_trade, start_equity)),
        symbols=tuple(sorted({t.symbol for t in trades})),
    )
