"""Recogniser benchmark: real-time factor and end-of-speech -> transcript latency per backend.

Each backend hears ~20 commands synthesised with espeak-ng (several voices), through exactly the
live path: WAV source -> endpointer -> streaming recogniser. Printed per backend:
- RTF: recogniser CPU time / audio duration (p50, p95);
- endpoint -> transcript: time from the endpointer's decision (after the trailing silence) to the
  final transcript (p50, p95) - what the user waits for beyond the trailing silence itself;
- exact-match accuracy and word error rate of the transcripts.
Live end-of-speech -> transcript = trailing silence (asr.trailing_silence_s, 0.5 s by default)
+ the endpoint -> transcript figure.

Backends: pocketsphinx (bundled model, compiled English grammar when available, else a small
hand-written one), whisper (../shared/models/faster-whisper-base or $MIA_WHISPER_MODEL, French),
vosk when $MIA_TEST_VOSK_MODEL_EN points at an English model.
Usage: python bench/asr_latency.py [--n 20] [--skip-whisper]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.asr import Listener  # noqa: E402
from assistant.audio import Endpointer, WavSource, read_audio  # noqa: E402

SMALL_EN_JSGF = """#JSGF V1.0;
grammar mia_bench;
public <command> = <trade> | <close> | <halt> | <confirm> | <cancel> | <query>;
<trade> = (buy | sell) <qty> [contracts | contract] <sym> [at market];
<qty> = one | two | three | four | five | ten;
<sym> = e s | m n q | micro nasdaq;
<close> = close all positions | close <sym> | flatten everything;
<halt> = stop trading | halt trading;
<confirm> = yes | confirm;
<cancel> = no | cancel;
<query> = what is the market regime | show my positions | what is my p and l today;
"""
EN_COMMANDS = [
    "buy two e s", "sell three m n q", "close all positions", "stop trading", "buy one contract e s",
    "sell five m n q at market", "what is the market regime", "show my positions", "flatten everything",
    "confirm", "cancel", "halt trading", "close m n q", "buy ten micro nasdaq", "what is my p and l today",
    "sell two e s", "buy four m n q", "yes", "no", "close e s",
]
EN_VOICES = ["en-us", "en-us+f3", "en-us+m3"]
FR_COMMANDS = [
    "quel est le régime de marché", "oui je confirme", "stop trading", "confirme", "achète deux contrats E S",
    "ferme toutes les positions", "arrête tout", "annule", "quelles sont mes positions", "vends trois contrats M N Q",
    "arrête le trading", "reprends le trading", "quel est mon résultat du jour", "achète un contrat E S",
    "non", "répète", "aide", "montre mes positions", "quelle est la performance récente", "oui",
]
FR_HOTWORDS = "achète vends contrats E S M N Q positions régime marché arrête confirme annule"


def norm_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return "".join(c if c.isalnum() else " " for c in text).split()


def wer(ref: str, hyp: str) -> float:
    r, h = norm_words(ref), norm_words(hyp)
    d = np.arange(len(h) + 1)
    for i in range(1, len(r) + 1):
        prev, d[0] = d.copy(), i
        for j in range(1, len(h) + 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r[i - 1] != h[j - 1]))
    return float(d[-1]) / max(1, len(r))


def synthesise(texts: list[str], voices: list[str], speed: int, out: Path, n: int) -> list[tuple[str, Path]]:
    items = []
    for i in range(n):
        text = texts[i % len(texts)]
        voice = voices[i % len(voices)]
        path = out / f"{i:02d}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                       capture_output=True)
        # 0.3 s before, 1 s after: the endpointer needs its trailing silence, as live
        pcm = read_audio(path)
        pad = lambda s: np.zeros(int(s * 16000), np.int16)  # noqa: E731
        sf.write(path, np.concatenate([pad(0.3), pcm, pad(1.0)]), 16000, subtype="PCM_16")
        items.append((text, path))
    return items


def run_backend(name: str, recognizer, items: list[tuple[str, Path]], lang: str) -> dict:
    rtfs, lat, decode, errs, exact, rejected, scores = [], [], [], [], 0, 0, []
    listener = Listener({lang: recognizer}, Endpointer())
    recognizer.recognize(read_audio(items[0][1]))  # warm-up (first call allocates buffers)
    for text, path in items:
        listener.reset()
        heard = list(listener.listen(WavSource(path)))
        if not heard or not heard[0].transcripts:
            rejected += 1
            errs.append(1.0)
            continue
        tr = heard[0].transcripts[lang]
        rtfs.append(tr.rtf)
        lat.append(heard[0].latency_s)
        decode.append(tr.decode_s)
        hyp = tr.text if not tr.out_of_grammar else ""
        if "score" in tr.detail and tr.detail.get("hypothesis") == " ".join(norm_words(text)):
            scores.append(tr.detail["score"])
        rejected += tr.out_of_grammar
        errs.append(wer(text, hyp))
        exact += norm_words(text) == norm_words(hyp)
    pct = lambda xs, q: float(np.percentile(xs, q)) if xs else float("nan")  # noqa: E731
    return {
        "backend": name, "lang": lang, "n": len(items), "rtf50": pct(rtfs, 50), "rtf95": pct(rtfs, 95),
        "lat50": pct(lat, 50) * 1000, "lat95": pct(lat, 95) * 1000, "dec50": pct(decode, 50) * 1000,
        "exact": exact, "wer": float(np.mean(errs)), "rejected": rejected,
        "fit": (pct(scores, 5), pct(scores, 50)) if scores else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="utterances per backend")
    ap.add_argument("--skip-whisper", action="store_true")
    args = ap.parse_args()
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed: nothing to synthesise")
        return 1
    results = []
    with tempfile.TemporaryDirectory(prefix="mia-asr-bench-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "en").mkdir()
        (tmpdir / "fr").mkdir()
        en_items = synthesise(EN_COMMANDS, EN_VOICES, 160, tmpdir / "en", args.n)

        from assistant.asr.pocketsphinx_backend import PocketsphinxRecognizer

        grammar_note = "small hand-written JSGF"
        jsgf = SMALL_EN_JSGF
        try:
            from assistant.grammar import load_grammar
            from assistant.grammar.compile import to_jsgf

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # dictionary gaps are reported by the grammar's own tests
                jsgf = to_jsgf(load_grammar(None), "en")
            grammar_note = "compiled grammars/en"
        except ImportError:
            pass
        t0 = time.perf_counter()
        ps = PocketsphinxRecognizer(jsgf)
        print(f"pocketsphinx: {grammar_note}, decoder built in {time.perf_counter() - t0:.2f} s")
        results.append(run_backend("pocketsphinx", ps, en_items, "en"))

        vosk_model = os.environ.get("MIA_TEST_VOSK_MODEL_EN")
        if vosk_model:
            from assistant.asr.vosk_backend import VoskRecognizer

            results.append(run_backend("vosk", VoskRecognizer(vosk_model, EN_COMMANDS, "en"), en_items, "en"))
        else:
            print("vosk: skipped (no English Vosk model; set MIA_TEST_VOSK_MODEL_EN)")

        whisper_dir = Path(os.environ.get("MIA_WHISPER_MODEL", REPO / "../shared/models/faster-whisper-base"))
        if args.skip_whisper:
            print("whisper: skipped (--skip-whisper)")
        elif not (whisper_dir / "model.bin").is_file():
            print(f"whisper: skipped (no model in {whisper_dir})")
        else:
            from assistant.asr.whisper_backend import WhisperRecognizer

            fr_items = synthesise(FR_COMMANDS, ["fr+m3"], 120, tmpdir / "fr", args.n)
            t0 = time.perf_counter()
            wh = WhisperRecognizer(whisper_dir, lang="fr", hotwords=FR_HOTWORDS)
            print(f"whisper: model loaded in {time.perf_counter() - t0:.2f} s (int8, beam 5, hotwords)")
            results.append(run_backend("whisper", wh, fr_items, "fr"))

    print()
    print(f"{'backend':13s} {'lang':4s} {'n':>3s} {'RTF p50':>8s} {'RTF p95':>8s} "
          f"{'endpoint->text p50':>19s} {'p95':>8s} {'decode p50':>10s} {'exact':>6s} {'WER':>6s} {'rejected':>8s}")
    for r in results:
        print(f"{r['backend']:13s} {r['lang']:4s} {r['n']:3d} {r['rtf50']:8.3f} {r['rtf95']:8.3f} "
              f"{r['lat50']:16.1f} ms {r['lat95']:5.1f} ms {r['dec50']:7.1f} ms "
              f"{r['exact']:3d}/{r['n']:<2d} {r['wer']:6.2f} {r['rejected']:8d}")
    print("\nLive end of speech -> transcript = trailing silence (0.5 s default) + endpoint->text.")
    for r in results:
        if r["fit"]:
            print(f"{r['backend']}: fit score S of correct hypotheses p5 {r['fit'][0]:.1f}, p50 {r['fit'][1]:.1f} "
                  "(PocketsphinxSettings.reject_score should sit below p5; see the backend docstring)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
