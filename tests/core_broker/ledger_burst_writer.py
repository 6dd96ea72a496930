"""Child process for the kill -9 test: writes brackets and fills to a ledger as fast as it can and
prints the index of each committed step (after the commit returned), until it is killed.

Usage: python -m tests.core_broker.ledger_burst_writer LEDGER_PATH START_INDEX
"""
from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from trading_core.ledger import Ledger
from trading_core.types import Fill, Order, OrderStatus, OrderType, Side

T0 = datetime(2025, 3, 10, 14, 30, tzinfo=timezone.utc)


def bracket(i: int) -> list[Order]:
    ts = T0 + timedelta(seconds=i)
    parent = Order(f"P{i}", f"c{i}", "ES", Side.BUY, 1 + i % 3, OrderType.MARKET, OrderStatus.PENDING, ts)
    sl = Order(f"S{i}", f"c{i}-sl", "ES", Side.SELL, parent.quantity, OrderType.STOP, OrderStatus.PENDING, ts,
               stop_price=4900.0 + (i % 40) * 0.25, parent_id=parent.order_id, oco_group=f"G{i}")
    tp = Order(f"T{i}", f"c{i}-tp", "ES", Side.SELL, parent.quantity, OrderType.LIMIT, OrderStatus.PENDING, ts,
               limit_price=5100.0 + (i % 40) * 0.25, parent_id=parent.order_id, oco_group=f"G{i}")
    return [parent, sl, tp]


def fill_for(parent: Order, i: int) -> tuple[Fill, Order]:
    price = 5000.0 + (i % 80) * 0.25
    fill = Fill(f"F{i}", parent.order_id, "ES", Side.BUY, parent.quantity, price,
                Decimal("2.25") * parent.quantity, parent.created_ts)
    done = replace(parent, status=OrderStatus.FILLED, filled_quantity=parent.quantity, avg_fill_price=price)
    return fill, done


def main() -> None:
    path, start = sys.argv[1], int(sys.argv[2])
    led = Ledger(path)
    i = start
    while True:
        orders = bracket(i)
        led.insert_orders(orders)
        fill, done = fill_for(orders[0], i)
        led.record_fill(fill, done)
        sys.stdout.write(f"{i}\n")
        sys.stdout.flush()
        i += 1


if __name__ == "__main__":
    main()
