"""An autopilot proposal confirmed on Interactive Brokers: the bracket reaches a (fake) TWS through the real
ib_async client with IB's transmit rule, parent ids and an OCA group."""
from __future__ import annotations

import pandas as pd

from tests.ib.conftest import T0, clock, start_engine, stop_engine, tws, wait_for  # noqa: F401 (fixtures)
from trading_core.autopilot.controller import Autopilot
from trading_core.autopilot.types import AutopilotMode, SignalDecision
from trading_core.types import Bar, OrderStatus

from .conftest import ACTIVE


async def test_a_confirmed_proposal_is_sent_to_ib_as_one_bracket(tmp_path, tws, clock, bundle, no_model, es_2025):  # noqa: F811
    bars = es_2025.iloc[:2500]
    # whole weeks earlier than the pinned clock: weekdays and times of day (gamma phase, sessions) are kept
    weeks = (T0 - bars.index[-1].to_pydatetime()).days // 7
    bars = bars.set_axis(bars.index + pd.Timedelta(weeks=weeks))
    engine, broker, _ = await start_engine(tmp_path, tws, clock, es=float(bars["open"].iloc[0]))
    engine.config.autopilot.filter_threshold = ACTIVE["filter_threshold"]
    engine.config.autopilot.reward_risk = ACTIVE["reward_risk"]
    engine.config.dialogue.confirm_timeout_s = 120
    pilot = Autopilot(engine, bundles={"ES": bundle}, trade_models={"ES": no_model})
    await pilot.start(prepare=False)
    try:
        assert (await pilot.set_mode(AutopilotMode.PROPOSE)).ok
        ts = bars.index.to_pydatetime()
        for i, r in enumerate(bars[["open", "high", "low", "close", "volume"]].itertuples(index=False)):
            engine.on_price("ES", r[0], ts[i])
            engine.on_bar(Bar("ES", ts[i], r[0], r[1], r[2], r[3], int(r[4])))
            await engine.settle()
            if pilot.pending():
                break
        (prop,) = pilot.pending()
        assert tws.placed == []  # nothing reaches the broker before the confirmation
        tws.set_price("ES", prop.entry)
        res = await pilot.confirm(prop.signal_id)
        assert res.ok and res.signal.decision is SignalDecision.EXECUTED, res.code
        await wait_for(lambda: len(tws.placed) == 3)
        parent, sl, tp = tws.placed
        assert [m.transmit for m in tws.placed] == [False, False, True]
        assert sl.parent_id == tp.parent_id == parent.order_id
        assert (sl.order_type, sl.aux_price) == ("STP", prop.stop_loss)
        assert (tp.order_type, tp.lmt_price) == ("LMT", prop.take_profit)
        assert sl.oca_group == tp.oca_group and sl.oca_type == 1
        assert parent.quantity == prop.quantity and parent.action == ("BUY" if prop.side.value == "BUY" else "SELL")
        order = engine.ledger.get_order(res.signal.order_id)
        await wait_for(lambda: engine.ledger.get_order(order.order_id).status is OrderStatus.FILLED)
        assert (await pilot.confirm(prop.signal_id)).duplicate and len(tws.placed) == 3
    finally:
        await pilot.stop()
        await stop_engine(engine)
