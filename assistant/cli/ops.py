"""Engine operations behind the CLI (and the control socket), rendered for the terminal in FR or EN.

Read-backs come from the engine's previews (`preview_order`, `preview_close`, `preview_halt`) and the
confirmed op executes that very preview: the order's quantity and client id are pinned in the op's
arguments; a close or halt preview is kept here under a token the confirmation sends back, so what runs
is what was read back, or nothing (the engine refuses a preview the book has moved away from).
"""
from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from assistant.cli.control import OpContext, OpFunc, OpResult
from assistant.present import cli as C
from assistant.present import readback as R
from assistant.present.money import format_money
from assistant.present.numbers import format_price
from assistant.present.reasons import reason_text
from assistant.present.text import Surface, render
from trading_core.protocols import EngineAPI
from trading_core.types import ClosePreview, CloseResult, HaltPreview, OrderRequest, OrderType, Side, TradingState

t = C.t


class BadRequest(ValueError):
    """An op argument that cannot be an order (a side that is neither buy nor sell, 1.5 contracts, a
    price that is not a number): refused with a sentence in each language, never guessed."""

    def __init__(self, en: str, fr: str) -> None:
        super().__init__(en)
        self.en, self.fr = en, fr

    def message(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en


_BUY_WORDS = frozenset({"buy", "long", "achat", "acheter", "achète", "achete"})
_SELL_WORDS = frozenset({"sell", "short", "vente", "vendre", "vends"})


def _side(value: Any) -> Side:
    word = value.strip().lower() if isinstance(value, str) else None
    if word in _BUY_WORDS:
        return Side.BUY
    if word in _SELL_WORDS:
        return Side.SELL
    raise BadRequest(f"Order refused: {value!r} is not a side; say buy (long) or sell (short). Nothing was sent.",
                     f"Ordre refusé : {value!r} n'est pas un sens ; dites achat (long) ou vente (short). Rien n'a été envoyé.")


def _whole_quantity(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        number: Any = None
    elif isinstance(value, int):
        return value
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    else:
        number = None
    if number is not None and number == number and abs(number) != float("inf") and number == int(number):
        return int(number)
    raise BadRequest(f"Order refused: the quantity must be a whole number of contracts, not {value!r}. Nothing was sent.",
                     f"Ordre refusé : la quantité doit être un nombre entier de contrats, et non {value!r}. Rien n'a été envoyé.")


def _price(value: Any, name_en: str, name_fr: str) -> float | None:
    import math

    if value is None:
        return None
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number <= 0:
        raise BadRequest(f"Order refused: the {name_en} {value!r} is not a price above zero. Nothing was sent.",
                         f"Ordre refusé : le {name_fr} {value!r} n'est pas un prix supérieur à zéro. Rien n'a été envoyé.")
    return number


def order_request_from_args(args: dict[str, Any]) -> OrderRequest:
    """The order an op's arguments describe; raises BadRequest for anything that is not one."""
    side = _side(args.get("side"))
    order_type = OrderType.MARKET
    limit = _price(args.get("limit"), "limit price", "prix limite")
    stop_entry = _price(args.get("stop_entry"), "stop price", "prix de déclenchement")
    sl = _price(args.get("stop"), "stop-loss price", "prix du stop de protection")
    tp = _price(args.get("target"), "take-profit price", "prix de l'objectif")
    if sl is not None or tp is not None:
        order_type = OrderType.BRACKET
    elif limit is not None:
        order_type = OrderType.LIMIT
    elif stop_entry is not None:
        order_type = OrderType.STOP
    risk = args.get("risk_percent")
    quantity = _whole_quantity(args.get("quantity"))
    if quantity is None and risk is None:
        raise BadRequest("Order refused: give a quantity or a risk percentage. Nothing was sent.",
                         "Ordre refusé : indiquez une quantité ou un pourcentage de risque. Rien n'a été envoyé.")
    client_id = args.get("client_order_id")
    if client_id is not None and (not isinstance(client_id, str) or not client_id.strip()):
        raise BadRequest(f"Order refused: {client_id!r} is not a client order id. Nothing was sent.",
                         f"Ordre refusé : {client_id!r} n'est pas un identifiant d'ordre client. Rien n'a été envoyé.")
    return OrderRequest(
        symbol=str(args.get("symbol") or "").strip().upper(),
        side=side,
        quantity=quantity,
        risk_percent=Decimal(str(risk)) if risk is not None else None,
        order_type=order_type,
        limit_price=limit,
        stop_price=stop_entry,
        stop_loss=sl,
        take_profit=tp,
        client_order_id=client_id,
        source=args.get("source", "cli"),
    )


def _expired(args: dict[str, Any], lang: str) -> OpResult | None:
    """A confirmed call carries `confirm_by` (epoch seconds): past it, the read-back it confirms has
    expired, exactly like a spoken "yes" after `dialogue.confirm_timeout_s`."""
    deadline = args.get("confirm_by")
    if deadline is not None and time.time() > float(deadline):
        return OpResult(False, t(lang, "Too late: the confirmation came after the read-back expired. Nothing was done.",
                                 "Trop tard : la confirmation est arrivée après l'expiration de la relecture. Rien n'a été fait."), 1)
    return None


# ---------------------------------------------------------------------------- pinned read-backs
@dataclass(frozen=True, slots=True)
class _Pinned:
    preview: ClosePreview | HaltPreview
    kind: str  # "close" / "halt" / "kill" / "reduce"
    expires: float  # time.time()


_PINNED: dict[str, _Pinned] = {}
_PIN_LIFETIME_S = 600.0  # a read-back never outlives this, whatever `confirm_by` says


def _pin(preview: ClosePreview | HaltPreview, kind: str) -> str:
    now = time.time()
    for token in [k for k, v in _PINNED.items() if v.expires < now]:
        del _PINNED[token]
    token = uuid.uuid4().hex
    _PINNED[token] = _Pinned(preview, kind, now + _PIN_LIFETIME_S)
    return token


def _pinned(args: dict[str, Any], kind: str, lang: str) -> _Pinned | OpResult | None:
    """The read-back a confirmed op executes: None when the op carries no token (an API caller acting
    at once), an OpResult when the token is unknown (the running MIA restarted, or it was used)."""
    token = args.get("readback")
    if token is None:
        return None
    pinned = _PINNED.pop(str(token), None)
    if pinned is None or pinned.kind != kind or pinned.expires < time.time():
        return OpResult(False, t(lang, "This read-back is no longer valid (MIA restarted, or it was already used). "
                                       "Nothing was done; run the command again.",
                                 "Cette relecture n'est plus valable (MIA a redémarré, ou elle a déjà servi). Rien n'a "
                                 "été fait ; relancez la commande."), 3)
    return pinned


def _changed(res: CloseResult, lang: str) -> OpResult:
    if res.preview is not None and res.current is not None:
        return OpResult(False, render(R.preview_changed(res.preview, res.current), lang, Surface.CLI), 3)
    assert res.rejection is not None
    return OpResult(False, reason_text(res.rejection, lang, Surface.CLI), 3)


# ---------------------------------------------------------------------------- ops
async def op_preview(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    """The read-back of an order, and what a confirmation must send: the quantity resolved now (a
    risk percentage is sized once, here) and the client order id chosen now."""
    engine = ctx.engine
    try:
        req = order_request_from_args(args)
    except BadRequest as exc:
        return OpResult(False, exc.message(lang), 2)
    p = await engine.preview_order(req)
    if p.rejection is not None:
        return OpResult(False, reason_text(p.rejection, lang, Surface.CLI), 3)
    side = t(lang, "Buy" if req.side is Side.BUY else "Sell", "Achat" if req.side is Side.BUY else "Vente")
    risk = format_money(p.estimated_risk, lang) if p.estimated_risk is not None else "?"
    ref = format_price(p.reference_price, lang) if p.reference_price is not None else "?"
    client_id = req.client_order_id or f"mia-cli-{uuid.uuid4().hex[:16]}"
    return OpResult(True, t(lang, f"{side} {p.quantity} {req.symbol} {req.order_type.value.lower()} near {ref}, estimated risk {risk}.",
                               f"{side} de {p.quantity} {req.symbol} ({req.order_type.value.lower()}) vers {ref}, risque estimé {risk}."),
                    data={"quantity": p.quantity, "client_order_id": client_id})


async def op_order(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    late = _expired(args, lang)
    if late is not None:
        return late
    try:
        req = order_request_from_args(args)
    except BadRequest as exc:
        return OpResult(False, exc.message(lang), 2)
    res = await engine.place_order(req, wait_fill=float(args.get("wait_fill", 2.0)))
    return OpResult(res.accepted, C.order_result_text(res, lang), 0 if res.accepted else 3)


def _close_symbol(args: dict[str, Any]) -> str | None:
    sym = args.get("symbol")
    return None if sym in (None, "", "all", "ALL", "tout", "TOUT") else str(sym)


def _held(positions: list[Any], symbols: tuple[str, ...] | None) -> dict[str, int]:
    return {p.symbol: p.quantity for p in positions if p.quantity and (symbols is None or p.symbol in symbols)}


async def _closing_report(engine: EngineAPI, res: CloseResult, lang: str, wait_s: float) -> tuple[bool, list[str]]:
    """Wait up to `wait_s` for the positions to be flat (as an order waits for its fill); the lines
    say what filled, or clearly that it did not."""
    deadline = time.monotonic() + wait_s
    while True:
        left = _held(await engine.positions(), res.symbols)
        if not left or time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.02)
    orders = [engine.order(r.order.order_id) or r.order for r in res.orders if r.order is not None]
    lines = C.filled_lines(orders, lang)
    if left:
        lines.append(C.not_flat_line(left, wait_s, lang))
    return not left, lines


async def op_close(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    late = _expired(args, lang)
    if late is not None:
        return late
    pinned = _pinned(args, "close", lang)
    if isinstance(pinned, OpResult):
        return pinned
    preview = pinned.preview if pinned is not None else None
    assert preview is None or isinstance(preview, ClosePreview)
    res = await engine.close_positions(_close_symbol(args), source=args.get("source", "cli"), preview=preview)
    if res.rejection is not None and res.current is not None:
        return _changed(res, lang)
    if res.orders and not all(r.accepted for r in res.orders):
        return OpResult(False, "\n".join(C.order_result_text(r, lang) for r in res.orders), 3)
    if not res.orders and not res.cancelled_orders and not res.in_progress:
        return OpResult(True, t(lang, "Nothing to close.", "Rien à fermer."))
    lines = C.close_head(res, lang)
    flat, report = await _closing_report(engine, res, lang, float(args.get("wait_fill", 5.0)))
    lines += report
    if flat:
        lines.append(t(lang, "Flat.", "À plat."))
    return OpResult(flat, "\n".join(lines), 0 if flat else 3)


async def op_preview_close(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    """The read-back of a close (the same sentence voice and chat say), pinned for the confirmation."""
    engine = ctx.engine
    preview = await engine.preview_close(_close_symbol(args))
    if preview.rejection is not None:
        return OpResult(False, reason_text(preview.rejection, lang, Surface.CLI), 3)
    summary = R.close_readback(preview)
    if summary is None:
        text = render(R.nothing_to_close(preview.symbol), lang, Surface.CLI) if preview.symbol else t(
            lang, "Nothing to close.", "Rien à fermer.")
        return OpResult(True, text, data={"nothing": True})
    return OpResult(True, render(summary, lang, Surface.CLI), data={"readback": _pin(preview, "close")})


async def op_preview_halt(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    flatten = bool(args.get("flatten"))
    preview = await engine.preview_halt(flatten=flatten)
    if preview.already_halted:
        return OpResult(True, t(lang, "Trading is already halted.", "Le trading est déjà arrêté."), data={"nothing": True})
    return OpResult(True, render(R.halt_readback(preview), lang, Surface.CLI),
                    data={"readback": _pin(preview, "kill" if flatten else "halt")})


async def op_preview_reduce(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    if engine.state is TradingState.REDUCING:
        return OpResult(True, render(R.already_reducing(), lang, Surface.CLI), data={"nothing": True})
    return OpResult(True, render(R.reduce_readback(), lang, Surface.CLI), data={})


async def op_positions(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    return OpResult(True, C.positions_table(await engine.positions(), lang))


async def op_status(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    lines = C.status_lines(await engine.status(), lang)
    from assistant.monitor import monitor_status_lines

    lines += await monitor_status_lines(engine, ctx.monitor, lang)
    return OpResult(True, "\n".join(lines))


async def op_pnl(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    return OpResult(True, C.pnl_line(await engine.pnl_today(), lang))


async def op_metrics(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    return OpResult(True, C.metrics_line(await engine.performance_metrics(), lang))


async def op_halt(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    late = _expired(args, lang)
    if late is not None:
        return late
    flatten = bool(args.get("flatten"))
    pinned = _pinned(args, "kill" if flatten else "halt", lang)
    if isinstance(pinned, OpResult):
        return pinned
    preview = pinned.preview if pinned is not None else None
    assert preview is None or isinstance(preview, HaltPreview)
    if flatten:
        res = await engine.kill_switch(args.get("reason", "cli"), preview=preview)
        if res.rejection is not None and res.current is not None:
            return _changed(res, lang)
        lines = [C.kill_switch_head(res, lang)]
        refused = [r for r in res.orders if not r.accepted]
        lines += [C.order_result_text(r, lang) for r in refused]
        flat, report = await _closing_report(engine, res, lang, float(args.get("wait_fill", 5.0)))
        lines += report
        ok = flat and not refused
        if ok and (res.orders or res.in_progress):
            lines.append(t(lang, "Flat.", "À plat."))
        return OpResult(ok, "\n".join(lines), 0 if ok else 3)
    halted = await engine.halt(args.get("reason", "cli"), preview=preview)
    return OpResult(True, C.halt_text(halted, lang))


async def op_reduce(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    late = _expired(args, lang)
    if late is not None:
        return late
    change = await engine.reduce_only(args.get("reason", "cli"))
    return OpResult(True, C.state_change_text(change, lang))


async def op_resume(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    change = await engine.resume(args.get("reason", "cli"))
    return OpResult(True, C.state_change_text(change, lang))


async def op_risk(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    engine = ctx.engine
    try:
        pct = Decimal(str(args["percent"]).replace(",", "."))
    except (InvalidOperation, KeyError):
        return OpResult(False, t(lang, f"Not a percentage: {args.get('percent')!r}", f"Pourcentage invalide : {args.get('percent')!r}"), 2)
    res = await engine.set_risk(pct, args.get("symbol"))
    if not res.ok:
        return OpResult(False, reason_text(res.rejection, lang, Surface.CLI) if res.rejection else "refused", 3)
    return OpResult(True, C.risk_set_text(res.risk_percent or Decimal(0), res.symbol, lang))


async def op_ping(ctx: OpContext, args: dict[str, Any], lang: str) -> OpResult:
    return OpResult(True, "pong")


OPS: dict[str, OpFunc] = {
    "ping": op_ping,
    "preview": op_preview,
    "preview_close": op_preview_close,
    "preview_halt": op_preview_halt,
    "preview_reduce": op_preview_reduce,
    "order": op_order,
    "close": op_close,
    "positions": op_positions,
    "status": op_status,
    "pnl": op_pnl,
    "metrics": op_metrics,
    "halt": op_halt,
    "reduce": op_reduce,
    "resume": op_resume,
    "risk": op_risk,
}


def _autopilot_ops() -> dict[str, OpFunc]:
    from assistant.autopilot.ops import OPS as AUTOPILOT_OPS

    return AUTOPILOT_OPS


OPS.update(_autopilot_ops())  # mia autopilot status|off|propose|auto
