"""Interactive Brokers market data as the same `Bar` / `Quote` stream as the other feeds.

- Warm-up: when the stream starts, `warmup_bars` completed 1-minute bars per symbol come first, from
  reqHistoricalData (TRADES, all hours, UTC epoch stamps), oldest first, as `HistoryBar`s: they feed
  indicators and models, never prices, marks, fills or risk checks.
- Live: IB's 5-second real-time bars (reqRealTimeBars) are aggregated into 1-minute bars stamped with
  their start (`MinuteBarBuilder`). IB sends a 5-second bar every 5 seconds, traded or not, so a
  minute is complete when its :55 bar arrives, or when a bar of a later minute does. A minute whose
  first bar (:00) was not seen (the subscription started, or resumed, in the middle of it) is dropped
  rather than emitted with a wrong open.
- Quotes: `quotes="bars"` yields a `Quote` at each 5-second bar's close (stamped at its end);
  `quotes="ticks"` streams IB's last-trade ticks (reqMktData, tick type 4) instead.
- Reconnects: the subscriptions die with the connection; on ib_async's `connectedEvent` the feed
  fetches the 1-minute bars missed since the last one it emitted (as `HistoryBar`s: they are old
  news by then), then subscribes again.
  The same happens on TWS message 1101 (its link to IB is back but market-data requests were lost).

The feed shares the broker's `IB` connection and `ContractBook` (the same front-month contracts).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from ib_async import IB, Contract, RealTimeBarList, Ticker

from trading_core.broker.ib_contracts import ContractBook, IBError
from trading_core.clock import Clock
from trading_core.instruments import get_instrument
from trading_core.marketdata.feed import BaseFeed, HistoryBar, event_time
from trading_core.types import Bar, Quote

log = logging.getLogger("mia.feed.ib")

_FIVE = timedelta(seconds=5)
_MINUTE = timedelta(minutes=1)
_STOP = object()
_LAST_TICKS = (4, 68)  # LAST, DELAYED_LAST
_MAX_HISTORY_S = 86_400  # IB's longest duration in seconds for 1-minute bars


class MinuteBarBuilder:
    """Aggregates one symbol's 5-second bars into completed 1-minute bars."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self._minute: datetime | None = None
        self._complete_start = False  # the minute's :00 bar was seen
        self._o = self._h = self._l = self._c = 0.0
        self._v = 0
        self.dropped = 0  # partial minutes not emitted

    def reset(self) -> None:
        """Forget the minute in progress (after a disconnect its bars are missing)."""
        if self._minute is not None:
            self.dropped += 1
        self._minute = None

    def add(self, ts: datetime, o: float, h: float, low: float, c: float, volume: float) -> list[Bar]:
        """Add the 5-second bar starting at `ts` (UTC); returns the minute bars it completes."""
        minute = ts.replace(second=0, microsecond=0)
        out: list[Bar] = []
        if self._minute is not None and minute < self._minute:
            log.warning("%s: 5-second bar at %s is older than the minute in progress; ignored", self.symbol, ts)
            return out
        if self._minute is not None and minute > self._minute:
            bar = self._close()
            if bar is not None:
                out.append(bar)
        if self._minute is None:
            self._minute = minute
            self._complete_start = ts == minute
            self._o, self._h, self._l, self._c, self._v = o, h, low, c, int(volume)
        else:
            self._h = max(self._h, h)
            self._l = min(self._l, low)
            self._c = c
            self._v += int(volume)
        if ts + _FIVE >= minute + _MINUTE:
            bar = self._close()
            if bar is not None:
                out.append(bar)
        return out

    def _close(self) -> Bar | None:
        minute, self._minute = self._minute, None
        if minute is None:
            return None
        if not self._complete_start:
            self.dropped += 1
            log.info("%s: partial minute %s dropped (its first 5-second bar was not received)", self.symbol, minute)
            return None
        return Bar(self.symbol, minute, self._o, self._h, self._l, self._c, self._v, "1m")


class IBFeed(BaseFeed):
    """`MarketFeed` on Interactive Brokers (see the module docstring)."""

    def __init__(
        self,
        ib: IB,
        contracts: ContractBook,
        symbols: Sequence[str] = ("ES", "MNQ"),
        *,
        quotes: Literal["bars", "ticks"] = "bars",
        warmup_bars: int = 120,
        what_to_show: str = "TRADES",
        use_rth: bool = False,
        history_timeout_s: float = 30.0,
        clock: Clock | None = None,
        name: str = "ib",
    ) -> None:
        if quotes not in ("bars", "ticks"):
            raise ValueError(f"quotes = {quotes!r} is not valid; allowed: 'bars' or 'ticks'")
        if isinstance(warmup_bars, bool) or not isinstance(warmup_bars, int) or not 0 <= warmup_bars <= 1440:
            raise ValueError(f"warmup_bars = {warmup_bars!r} is not valid; allowed: an int from 0 to 1440")
        super().__init__(name, tuple(get_instrument(s).symbol for s in symbols), speed=0.0, max_gap_s=0.0)
        self._ib = ib
        self._contracts = contracts
        self.quotes = quotes
        self.warmup_bars = warmup_bars
        self.what_to_show = what_to_show
        self.use_rth = use_rth
        self.history_timeout_s = history_timeout_s
        self._clock = clock
        self._queue: asyncio.Queue[Any] | None = None
        self._builders = {s: MinuteBarBuilder(s) for s in self.symbols}
        self._last_bar: dict[str, datetime] = {}
        self._rt: dict[str, RealTimeBarList] = {}
        self._tickers: dict[str, Ticker] = {}
        self._resubscribe: asyncio.Task[None] | None = None

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(timezone.utc)

    def stop(self) -> None:
        super().stop()
        if self._queue is not None:
            self._queue.put_nowait(_STOP)

    # ------------------------------------------------------------------ history

    async def history(self, symbol: str, bars: int, since: datetime | None = None) -> list[Bar]:
        """Completed 1-minute bars of `symbol`: the last `bars`, or those after `since`."""
        contract = await self._contracts.qualify(symbol)
        now = self._now()
        seconds = bars * 60 if since is None else int((now - since).total_seconds()) + 60
        seconds = max(60, min(seconds, _MAX_HISTORY_S))
        data = await self._ib.reqHistoricalDataAsync(
            contract, endDateTime="", durationStr=f"{seconds} S", barSizeSetting="1 min",
            whatToShow=self.what_to_show, useRTH=self.use_rth, formatDate=2, timeout=self.history_timeout_s,
        )
        out = []
        root = get_instrument(symbol).symbol
        for b in data:
            ts = b.date if isinstance(b.date, datetime) else datetime(b.date.year, b.date.month, b.date.day)
            ts = ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts.astimezone(timezone.utc)
            if ts + _MINUTE > now or (since is not None and ts <= since):
                continue  # the minute in progress, or already emitted
            out.append(Bar(root, ts, float(b.open), float(b.high), float(b.low), float(b.close), int(b.volume), "1m"))
        return out[-bars:] if since is None and bars else out

    async def warmup(self) -> list[Bar]:
        if self.warmup_bars == 0:
            return []
        bars: list[Bar] = []
        for symbol in self.symbols:
            try:
                bars += await self.history(symbol, self.warmup_bars)
            except IBError as exc:
                log.error("no warm-up history for %s: %s", symbol, exc)
        bars.sort(key=lambda b: (b.ts, self.symbols.index(b.symbol)))
        return bars

    # ------------------------------------------------------------------ live subscriptions

    async def _subscribe(self, symbol: str) -> None:
        contract: Contract = await self._contracts.qualify(symbol)
        self._builders[symbol].reset()
        bars = self._ib.reqRealTimeBars(contract, 5, self.what_to_show, self.use_rth)
        bars.updateEvent += lambda rt, has_new, s=symbol: self._on_rt_bar(s, rt, has_new)
        self._rt[symbol] = bars
        if self.quotes == "ticks":
            ticker = self._ib.reqMktData(contract, "", False, False)
            ticker.updateEvent += lambda t, s=symbol: self._on_ticker(s, t)
            self._tickers[symbol] = ticker

    async def _subscribe_all(self) -> None:
        for symbol in self.symbols:
            try:
                await self._subscribe(symbol)
            except IBError as exc:
                log.error("no live data for %s: %s", symbol, exc)

    def _unsubscribe_all(self) -> None:
        if self._ib.isConnected():
            for bars in self._rt.values():
                self._ib.cancelRealTimeBars(bars)
            for ticker in self._tickers.values():
                if ticker.contract is not None:
                    self._ib.cancelMktData(ticker.contract)
        self._rt.clear()
        self._tickers.clear()

    def _put(self, item: Bar | Quote | HistoryBar) -> None:
        if self._queue is not None:
            self._queue.put_nowait(item)

    def _on_rt_bar(self, symbol: str, bars: RealTimeBarList, has_new: bool) -> None:
        if not has_new or not bars:
            return
        rt = bars[-1]
        del bars[:-1]  # ib_async keeps every bar; the builder holds what is needed
        ts = rt.time.astimezone(timezone.utc) if rt.time.tzinfo else rt.time.replace(tzinfo=timezone.utc)
        if self.quotes == "bars":
            self._put(Quote(symbol, ts + _FIVE, float(rt.close)))
        for bar in self._builders[symbol].add(ts, float(rt.open_), float(rt.high), float(rt.low), float(rt.close),
                                              rt.volume):
            self._last_bar[symbol] = bar.ts
            self._put(bar)

    def _on_ticker(self, symbol: str, ticker: Ticker) -> None:
        for tick in ticker.ticks:
            if tick.tickType in _LAST_TICKS and tick.price > 0:
                ts = tick.time.astimezone(timezone.utc) if tick.time.tzinfo else tick.time.replace(tzinfo=timezone.utc)
                self._put(Quote(symbol, ts, float(tick.price)))

    def _on_disconnected(self) -> None:
        for builder in self._builders.values():
            builder.reset()
        self._rt.clear()
        self._tickers.clear()

    def _on_error(self, req_id: int, code: int, text: str, contract: Contract | None) -> None:
        if code == 1101:  # "Connectivity restored - data lost": every market-data request must be re-sent
            log.warning("IB lost the market-data subscriptions (1101); subscribing again")
            self._unsubscribe_all()  # drop the dead requests at ib_async (and at TWS, harmlessly)
            for builder in self._builders.values():
                builder.reset()
            self._on_connected()

    def _on_connected(self) -> None:
        if self._queue is None or self._stopped:
            return
        if self._resubscribe is None or self._resubscribe.done():
            self._resubscribe = asyncio.get_running_loop().create_task(self._recover(), name="ib-feed-resubscribe")

    async def _recover(self) -> None:
        """After a reconnect: the bars missed while away, then live data again."""
        for symbol in self.symbols:
            since = self._last_bar.get(symbol)
            if since is None:
                continue
            try:
                for bar in await self.history(symbol, 0, since=since):
                    self._last_bar[symbol] = bar.ts
                    self._put(HistoryBar(bar))
            except (IBError, ConnectionError) as exc:
                log.error("could not fetch the bars of %s missed while disconnected: %s", symbol, exc)
        await self._subscribe_all()

    # ------------------------------------------------------------------ stream

    async def stream(self) -> AsyncIterator[Bar | Quote | HistoryBar]:
        self._begin()
        self._queue = asyncio.Queue()
        if self._stopped:
            self._queue.put_nowait(_STOP)
        self._ib.connectedEvent += self._on_connected
        self._ib.disconnectedEvent += self._on_disconnected
        self._ib.errorEvent += self._on_error
        try:
            for bar in await self.warmup():
                if self._stopped:
                    return
                self._last_bar[bar.symbol] = bar.ts
                self._record(bar, event_time(bar))
                yield HistoryBar(bar)
            await self._subscribe_all()
            while True:
                item = await self._queue.get()
                if item is _STOP or self._stopped:
                    return
                self._record(item, event_time(item))
                yield item
        finally:
            self._ib.connectedEvent -= self._on_connected
            self._ib.disconnectedEvent -= self._on_disconnected
            self._ib.errorEvent -= self._on_error
            if self._resubscribe is not None:
                self._resubscribe.cancel()
            self._unsubscribe_all()
            self._queue = None
            self._end()


__all__ = ["IBFeed", "MinuteBarBuilder"]
