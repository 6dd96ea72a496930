"""Endpointer benchmark: old (energy + pitch) vs new (Silero VAD + noise floor), side by side, with
WebRTC's VAD (GMM, `webrtcvad-wheels`, when installed) in the new endpointer's place as a peer.

On the natural-voice fixture set (audio_fixtures/, both languages), clean and mixed with each noise
(pink, babble, music, clatter) at 24, 15 and 6 dB active-speech SNR, exactly as `mia harness` mixes
them (noise lead-in, seeded offsets). Printed per noise type and SNR:
- missed: speech files that gave no utterance at all (short answers "yes"/"non"/"je confirme" apart);
- split: commands that came back as two or more utterances (MIA would act on half, or twice);
- spurious: utterances made of noise alone (after the first floor window), and how many files had one;
- CPU per 20 ms frame (process time; it runs live, on the audio thread's budget of 20 ms).

    .venv/bin/python bench/endpointer.py                  # every natural item (~830), 13 conditions
    .venv/bin/python bench/endpointer.py --limit 200      # a seeded sample of the items
    .venv/bin/python bench/endpointer.py --vad energy     # one endpointer only
    .venv/bin/pip install webrtcvad-wheels                # to add the WebRTC peer column

Figures measured on a shared machine are inflated in wall time; CPU per frame is process time.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from assistant.audio import Endpointer, EndpointerConfig  # noqa: E402
from assistant.harness.labels import load_dataset  # noqa: E402
from assistant.harness.noise import load_noise  # noqa: E402
from assistant.harness.runner import conditions_for, reference_speech_power  # noqa: E402
from assistant.harness.segmentation import run_segmentation, summarise_segmentation  # noqa: E402
from audio_fixtures import generate  # noqa: E402

NOISES = ["pink", "babble", "music", "clatter"]
SNRS = [24.0, 15.0, 6.0]


class WebrtcVad:
    """WebRTC's VAD (aggressiveness 3) as a frame classifier: 1.0 for speech, 0.0 otherwise."""

    name = "webrtc"

    def __init__(self, mode: int = 3) -> None:
        import webrtcvad

        self._vad = webrtcvad.Vad(mode)

    def reset(self) -> None:
        pass

    def process(self, frame) -> float:  # a 20 ms frame of int16 at 16 kHz
        return 1.0 if self._vad.is_speech(frame.tobytes(), 16000) else 0.0


def make_endpointer(vad: str) -> Endpointer:
    if vad == "webrtc":
        return Endpointer(EndpointerConfig(vad="silero"), frame_vad=WebrtcVad())
    return Endpointer(EndpointerConfig(vad=vad))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="a seeded sample of this many items per language (0: all)")
    ap.add_argument("--vad", choices=["energy", "silero", "webrtc", "all"], default="all")
    ap.add_argument("--noise", nargs="+", default=NOISES)
    ap.add_argument("--snr", nargs="+", type=float, default=SNRS)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    out = generate.ensure(progress=sys.stderr.isatty())
    items = []
    for lang in generate.LANGS:
        ds = load_dataset([out / lang], [generate.labels_path(lang)])
        chosen = ds.items
        if args.limit and len(chosen) > args.limit:
            chosen = random.Random(args.seed).sample(chosen, args.limit)
        items += chosen
    conditions = conditions_for([load_noise(n) for n in args.noise], args.snr)
    reference = reference_speech_power(items)
    vads = ["energy", "silero"] if args.vad == "all" else [args.vad]
    if args.vad == "all":
        try:
            import webrtcvad  # noqa: F401

            vads.append("webrtc")
        except ImportError:
            print("(webrtcvad-wheels not installed: no WebRTC column)", file=sys.stderr)
    results = {}
    for vad in vads:
        ep = make_endpointer(vad)
        t0 = time.perf_counter()
        results[vad] = run_segmentation(ep, items, conditions, seed=args.seed, reference_power=reference)
        print(f"{vad} ({ep.vad_name}): {len(results[vad])} streams in {time.perf_counter() - t0:.0f} s wall",
              file=sys.stderr)

    short = sum(1 for _, lb in items if lb.text and len(lb.text.split()) <= 2 and lb.intent)
    print(f"Endpointer on {len(items)} natural-voice fixture items ({short} short answers), "
          f"{len(conditions)} conditions; old = energy + pitch, new = Silero VAD + noise floor, "
          f"webrtc = WebRTC VAD + noise floor (peer)")
    head = f"{'condition':<18}" + "".join(
        f"| {v:<6} {'missed':>7} {'short':>6} {'split':>6} {'long':>5} {'spur':>5} {'files':>5} " for v in vads)
    print(head)
    print("-" * len(head))
    names = [c.name for c in conditions]
    for name in names + ["ALL NOISY"]:
        row = f"{name:<18}"
        for vad in vads:
            rs = [r for r in results[vad] if (r.condition == name if name != "ALL NOISY" else r.noise != "clean")]
            s = summarise_segmentation(rs)
            row += (f"| {'':<6} {s.missed:>3}/{s.speech_files:<3} {s.missed_short:>6} {s.split:>6} {s.truncated:>5}"
                    f" {s.spurious:>5} {s.spurious_files:>5} ")
        print(row)
    print()
    for vad in vads:
        s = summarise_segmentation(results[vad])
        print(f"{vad:<7} CPU per 20 ms frame: {s.cpu_us_per_frame:.0f} us (process time, {s.frames} frames)")
    print("missed: speech files with no utterance; short: of them, one/two-word answers; split: commands cut in "
          "2+ utterances; long: utterances on speech cut at max_utterance_s (never decoded); spur: utterances of "
          "noise alone; files: files with one or more")
    return 0


if __name__ == "__main__":
    sys.exit(main())
