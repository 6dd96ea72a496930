"""Typed acceptance of the parser on paraphrase sets (blind-written corpora).

    .venv/bin/python bench/paraphrase_acceptance.py FILE.yaml [FILE.yaml ...] [--grammar DIR] [--failures]

Each file is a YAML list of lines in one of three forms:

* ``{t: text, i: intent, s: {slots}}`` — a command: correct when the parser matches it with
  exactly that intent and exactly those slots (numbers compared as numbers);
* ``{t: text, reject: true}`` — must be refused: correct when the parser does not match it;
* ``{t: text, followup: intent, s: {slots}}`` — an incomplete command that deserves a follow-up
  question: correct when the parser refuses it as that intent with a ``missing_<slot>`` reason
  and the slots it does state (the dialogue then asks for the missing one).

Any line may also say ``context: readback``: it is said while a read-back waits, and parsed the
way the dialogue parses it then ("y", "n", "c'est bon" are a confirmation or a cancellation only
there; see `parse_case`). The figures count such lines in their context; the summary also says
how many of them are right parsed out of it.

A **wrong** result is one that could lead to a different action than meant: a command matched
with another intent or another slot value, a sentence to refuse matched, an incomplete command
matched as if complete. The target is 0 wrong on every corpus. A ``followup_answer`` match
("deux", "ES") counts as refused: the dialogue never acts on one without a pending question.

**Refused by validation.** The parser reads figures as said ("buy zero ES", "200 contracts",
"risk 50 %"); the dialogue then refuses them with a clear message before any read-back, with
the engine's own checks: the risk gate's quantity checks (`RiskGate.check`, run by
`Engine.preview_order`) and `sizing.validate_risk_percent` (run by `Engine.set_risk`, and by
`Engine.preview_order` on a risk said with an order), here
with the project's configuration (config/default.yaml). A line labelled as a refusal that the
parser matches and that validation refuses is counted as refused, and reported apart ("refused
by validation"); the raw parser figures, without that step, are printed too.

Accuracy figures do not depend on machine load; only the timing line at the end does.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: Intent the parser uses for bare answers to a follow-up question ("deux", "ES", "tout").
ANSWER_INTENT = "followup_answer"


def same_slots(expected: dict[str, Any], got: dict[str, Any]) -> bool:
    if expected.keys() != got.keys():
        return False
    for key, value in expected.items():
        other = got[key]
        if isinstance(value, bool) or isinstance(other, bool):
            if value != other:
                return False
        elif isinstance(value, (int, float)) and isinstance(other, (int, float)):
            if not math.isclose(value, other):
                return False
        elif str(value).lower() != str(other).lower():
            return False
    return True


@dataclass
class Verdict:
    kind: str  # "command", "reject", "followup"
    ok: bool
    wrong: bool
    lenient_ok: bool  # followup: recognised as incomplete of that intent (slots not checked)
    got: str
    validation: str | None = None
    """The code of the dialogue's validation refusal of a matched order or risk setting, if any."""


class _Validation:
    """The checks the dialogue runs on a parsed order or risk setting before any read-back, as
    the engine runs them (imported, not copied): only those that depend on the request itself,
    not on the market or the account (a flat, active account is assumed)."""

    def __init__(self) -> None:
        from trading_core.config import load_config
        from trading_core.instruments import get_instrument
        from trading_core.risk.gate import RiskGate

        self.config = load_config(env={}).risk
        self.gate = RiskGate(self.config, get_instrument)

    def refusal(self, result: Any) -> str | None:
        from datetime import datetime, timezone
        from decimal import Decimal

        from trading_core.risk import sizing
        from trading_core.risk.gate import OrderIntent, RiskContext
        from trading_core.risk.reasons import ReasonCode
        from trading_core.types import OrderType, Side, TradingState

        slots = result.slots or {}
        # A risk said with an order is checked as a risk setting is (Engine.preview_order does).
        if result.intent in ("set_risk", "place_trade") and "risk_percent" in slots:
            bad = sizing.validate_risk_percent(Decimal(str(slots["risk_percent"])), self.config.max_risk_percent)
            if bad is not None or result.intent == "set_risk":
                return None if bad is None else str(bad.code.value)
        if result.intent != "place_trade" or "quantity" not in slots:
            return None
        price = slots.get("price")
        ctx = RiskContext(now=datetime.now(timezone.utc), state=TradingState.ACTIVE, market_open=True, positions={},
                          pending={}, last_prices={}, equity=Decimal(0), balance=Decimal(0), pnl_today=Decimal(0),
                          consecutive_losses=0)
        order = OrderIntent(symbol=str(slots["symbol"]), side=Side(slots["side"]), quantity=int(slots["quantity"]),
                            order_type=OrderType.LIMIT if price is not None else OrderType.MARKET,
                            limit_price=float(price) if price is not None else None)
        bad = self.gate.check(ctx, order)
        # The gate's first checks (market, quantity) depend on the request only; later ones on
        # the market and the account, which a bench does not have.
        static = {ReasonCode.UNKNOWN_SYMBOL, ReasonCode.QTY_NOT_POSITIVE, ReasonCode.QTY_ABOVE_MAX}
        return str(bad.code.value) if bad is not None and bad.code in static else None


_validation: _Validation | None = None


def validation_refusal(result: Any) -> str | None:
    """The dialogue's refusal code for a matched order or risk setting ("QTY_ABOVE_MAX"), or None."""
    global _validation
    if not result.matched or result.intent not in ("place_trade", "set_risk"):
        return None
    if _validation is None:
        _validation = _Validation()
    return _validation.refusal(result)


#: Per-line contexts (key ``context``): how the dialogue parses a line said in that situation.
CONTEXTS = ("readback",)


def parse_case(parser: Any, case: dict[str, Any]) -> Any:
    """The parse of one line as the dialogue makes it. ``context: readback``: said while a
    read-back waits, where a short answer the parser refuses out of context ("y", "n", "c'est
    bon") is a confirmation or a cancellation — the dialogue's own call, `Parser.context_answer`
    (assistant/dialogue/manager.py asks it only then)."""
    text = str(case["t"])
    result = parser.parse(text)
    if case.get("context") == "readback" and not result.matched:
        answer = parser.context_answer(text)
        if answer is not None:
            return replace(result, matched=True, intent=answer, slots={}, slot_text={}, method="context",
                           reason=None, detail=None, missing=(), nearest=None)
    return result


def judge(case: dict[str, Any], result: Any, *, validate: bool = True) -> Verdict:
    """The verdict on one line; `validate=False`: the raw parser, without the dialogue's validation."""
    matched = bool(result.matched) and result.intent != ANSWER_INTENT
    got = (f"matched={result.matched} intent={result.intent} slots={result.slots} "
           f"reason={result.reason} method={result.method} score={result.score}")
    refused = validation_refusal(result) if validate and matched else None
    if case.get("reject"):
        if refused is not None:
            return Verdict("reject", True, False, True, got + f" validation={refused}", refused)
        return Verdict("reject", not matched, matched, not matched, got)
    if "followup" in case:
        incomplete = (not matched and result.intent == case["followup"]
                      and (result.reason or "").startswith("missing_"))
        ok = incomplete and same_slots(case.get("s") or {}, result.slots or {})
        return Verdict("followup", ok, matched, incomplete, got)
    ok = matched and result.intent == case["i"] and same_slots(case.get("s") or {}, result.slots)
    wrong = matched and not ok
    return Verdict("command", ok, wrong, ok, got, refused)


@dataclass
class Score:
    name: str
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, dict[str, Any], Verdict]] = field(default_factory=list)

    def add(self, case: dict[str, Any], verdict: Verdict, raw: Verdict | None = None) -> None:
        if raw is not None:
            self.counts["raw_ok"] += raw.ok
            self.counts["raw_wrong"] += raw.wrong
        if verdict.validation is not None:
            self.counts[f"validation_{verdict.kind}"] += 1
        self.counts[f"{verdict.kind}_total"] += 1
        self.counts[f"{verdict.kind}_ok"] += verdict.ok
        self.counts[f"{verdict.kind}_lenient"] += verdict.lenient_ok
        self.counts["total"] += 1
        self.counts["ok"] += verdict.ok
        self.counts["wrong"] += verdict.wrong
        if not verdict.ok:
            self.failures.append(("WRONG" if verdict.wrong else "miss", case, verdict))

    def pct(self, ok: str, total: str) -> str:
        n, d = self.counts[ok], self.counts[total]
        return f"{n}/{d} ({100.0 * n / d:.1f} %)" if d else "-"


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(cases, list):
        raise SystemExit(f"{path}: expected a YAML list")
    for n, case in enumerate(cases, 1):
        if not isinstance(case, dict) or "t" not in case or not (
                "i" in case or "reject" in case or "followup" in case):
            raise SystemExit(f"{path}: entry {n} is not {{t, i, s}}, {{t, reject}} or {{t, followup, s}}: {case!r}")
        if case.get("context", CONTEXTS[0]) not in CONTEXTS:
            raise SystemExit(f"{path}: entry {n}: unknown context {case['context']!r} (known: {', '.join(CONTEXTS)})")
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path, help="paraphrase files (YAML lists)")
    ap.add_argument("--grammar", action="append", help="grammar file or folder (default: the project's grammars/)")
    ap.add_argument("--failures", action="store_true", help="list every line that is not correct")
    args = ap.parse_args(argv)

    from assistant.nlu.parser import Parser

    t0 = time.perf_counter()
    parser = Parser.from_paths(args.grammar)
    build_s = time.perf_counter() - t0
    scores: list[Score] = []
    cpu = 0.0
    n = 0
    for path in args.files:
        score = Score(path.name)
        for case in load_cases(path):
            c0 = time.process_time()
            result = parse_case(parser, case)
            cpu += time.process_time() - c0
            n += 1
            score.add(case, judge(case, result), judge(case, result, validate=False))
            if "context" in case:
                # The same line out of its context: what a corpus without the key would count.
                plain = judge(case, parser.parse(str(case["t"])))
                score.counts["context_total"] += 1
                score.counts["context_ok"] += judge(case, result).ok
                score.counts["context_plain_ok"] += plain.ok
        scores.append(score)

    for s in scores:
        print(f"== {s.name}: {s.counts['total']} lines")
        print(f"   overall correct     {s.pct('ok', 'total')}")
        print(f"   commands            {s.pct('command_ok', 'command_total')}")
        print(f"   refusals            {s.pct('reject_ok', 'reject_total')}")
        print(f"   follow-ups          {s.pct('followup_ok', 'followup_total')} "
              f"(incomplete intent recognised, slots not checked: {s.pct('followup_lenient', 'followup_total')})")
        print(f"   WRONG (other intent/slot, refusal accepted, incomplete accepted): {s.counts['wrong']}")
        print(f"   refused by validation (parsed as said, then refused by the dialogue before any read-back): "
              f"{s.counts['validation_reject']} of the refusals; also {s.counts['validation_command']} "
              f"correctly parsed commands the default limits refuse")
        print(f"   raw parser, without validation: correct {s.pct('raw_ok', 'total')}, WRONG {s.counts['raw_wrong']}")
        if s.counts["context_total"]:
            without = s.counts["ok"] - s.counts["context_ok"] + s.counts["context_plain_ok"]
            print(f"   lines with a context (read-back answers): {s.pct('context_ok', 'context_total')} in their "
                  f"context, {s.pct('context_plain_ok', 'context_total')} parsed out of it; overall without "
                  f"contexts {without}/{s.counts['total']} ({100.0 * without / s.counts['total']:.1f} %)")
        if args.failures:
            for tag, case, verdict in s.failures:
                expected = (f"reject" if case.get("reject") else
                            f"followup {case['followup']} {case.get('s') or {}}" if "followup" in case else
                            f"{case['i']} {case.get('s') or {}}")
                print(f"   [{tag}] {case['t']!r}\n          expected {expected}\n          got      {verdict.got}")
    print(f"parser built in {build_s:.2f} s; {n} parses, {1e6 * cpu / max(1, n):.0f} µs CPU per parse on average")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
