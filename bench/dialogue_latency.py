"""Dialogue latency: utterance text -> Reply, on a paper engine (no speech).

Prints p50 / p95 / p99 per kind of utterance: read-back (parse + risk preview), confirm + execute
(order to the paper broker, not waiting for the fill), queries, refusals, not understood. With
`--audio`, also the end of speech -> reply latency of the voice loop on an espeak-ng WAV through
PocketSphinx (endpoint decision -> transcript -> parse -> dialogue).

    .venv/bin/python bench/dialogue_latency.py [--n 300] [--audio]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.dialogue import Dialogue, shared_parser  # noqa: E402
from trading_core.api import Engine  # noqa: E402
from trading_core.broker.paper import PaperBroker  # noqa: E402
from trading_core.clock import MarketClock  # noqa: E402
from trading_core.config import load_config  # noqa: E402
from trading_core.instruments import get_instrument  # noqa: E402

T0 = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def show(name: str, values: list[float]) -> None:
    ms = [v * 1000 for v in values]
    print(f"{name:<28} n={len(ms):<5} p50 {pct(ms, 50):7.3f} ms   p95 {pct(ms, 95):7.3f} ms   "
          f"p99 {pct(ms, 99):7.3f} ms   mean {statistics.fmean(ms):7.3f} ms")


async def text_bench(n: int) -> None:
    data = tempfile.mkdtemp(prefix="mia-bench-")
    # limits raised so thousands of benchmark orders are not refused by the risk gate
    cfg = load_config(env={}, overrides={"data_dir": data, "risk": {
        "max_orders_per_minute": 10000, "max_position_per_symbol": 10000, "max_total_position": 10000}})
    engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
    await engine.start(run_feed=False)
    engine.on_price("ES", 6000.0, T0)
    engine.on_price("MNQ", 21000.0, T0)
    parser = shared_parser()
    dialogue = Dialogue(engine, parser, config=cfg, fill_wait_s=0.0)
    timings: dict[str, list[float]] = {k: [] for k in ("read-back", "confirm+execute", "cancel", "query: positions",
                                                        "query: status", "refusal (qty 0)", "not understood")}
    now = 0.0
    for i in range(n):
        now += 1.0
        for name, text in (("read-back", "buy two e s" if i % 2 else "achète un contrat MNQ"),
                           ("confirm+execute", "yes" if i % 2 else "oui")):
            t = time.perf_counter()
            await dialogue.handle(text, now)
            timings[name].append(time.perf_counter() - t)
        await dialogue.handle("sell one m n q", now)
        t = time.perf_counter()
        await dialogue.handle("cancel", now)
        timings["cancel"].append(time.perf_counter() - t)
        for name, text in (("query: positions", "show my positions"), ("query: status", "statut"),
                           ("refusal (qty 0)", "buy zero e s"), ("not understood", "i would like a coffee")):
            t = time.perf_counter()
            await dialogue.handle(text, now)
            timings[name].append(time.perf_counter() - t)
    print(f"dialogue, text in -> reply out ({n} rounds, paper engine, fills not awaited)")
    for name, values in timings.items():
        show(name, values)
    await engine.stop()
    engine.close()


async def audio_bench(repeats: int) -> None:
    from assistant.asr.pipeline import Listener
    from assistant.audio import WavSource
    from assistant.voice.front import endpointer_for, prepare_recognizers
    from assistant.voice.loop import AnswerOutput, VoiceLoop

    data = Path(tempfile.mkdtemp(prefix="mia-bench-audio-"))
    cfg = load_config(env={}, overrides={"data_dir": str(data)})
    recs, _ = prepare_recognizers(cfg, "en", ("en",), "pocketsphinx")
    wav = data / "status.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), "status report"], check=True)
    engine = Engine(cfg, PaperBroker(get_instrument), clock=MarketClock(), mode="paper")
    await engine.start(run_feed=False)
    engine.on_price("ES", 6000.0, T0)
    engine.on_price("MNQ", 21000.0, T0)
    dialogue = Dialogue(engine, shared_parser(), config=cfg)
    latencies: list[float] = []
    decode: list[float] = []
    kinds: dict[str, int] = {}
    for _ in range(repeats):
        loop = VoiceLoop(dialogue, Listener(recs, endpointer_for(cfg)), AnswerOutput(None, echo=None), clock="stream")
        result = await loop.run(WavSource(wav, trailing_silence_s=0.7))
        latencies += result.latencies_s
        decode += result.decode_s
        for r in result.replies:
            kinds[r.kind] = kinds.get(r.kind, 0) + 1
    print(f"voice loop, end of speech -> reply (pocketsphinx, {repeats} runs of 'status report')")
    show("recogniser final decode", decode)
    show("endpoint -> reply ready", latencies)
    print("replies:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    await engine.stop()
    engine.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="rounds of utterances (default 300)")
    ap.add_argument("--audio", action="store_true", help="also measure the voice loop on a spoken WAV")
    ap.add_argument("--audio-repeats", type=int, default=20)
    args = ap.parse_args()
    import logging

    logging.disable(logging.WARNING)
    asyncio.run(text_bench(args.n))
    if args.audio:
        asyncio.run(audio_bench(args.audio_repeats))


if __name__ == "__main__":
    main()
