"""Train a LoRA adapter of Whisper's decoder on the command domain (issue #12 spike).

    python bench/whisper_adapter.py data  --out /tmp/mia-adapter-data [--per-lang 1400] [--seed 0]
    python bench/whisper_adapter.py train --data /tmp/mia-adapter-data --out adapter.npz [--rank 8]

`data`: sentences sampled from the project grammars (every intent, templates at random, slot lists'
spoken forms, quantities 1-99 mostly, prices on the tick grid, risk percents; numbers written in
digits or words as the token automaton spells them), said by **espeak-ng voices only** (base
voices x variants m1-m7 / f1-f5, speed and pitch jitter; never the natural pico2wave / MBROLA
voices of `audio_fixtures/`, which are the test), framed like an endpointed utterance, 40 % mixed
with noise that is not an evaluation noise (fresh pink / brown noise, babble of other espeak-ng
clips of this set) at 0-20 dB. Each clip is encoded as the recogniser does (CTranslate2 int8
encoder, utterance + `pad_s` of silence); the decoder later reads it followed by the cached
silence tail up to 1,500 frames. Two espeak-ng variants (m6, f4) are the validation split.

`train`: teacher forcing on the search's grammar-row layout (`<|startofprev|>` + the language's
prompt, `<|startoftranscript|><|lang|><|transcribe|><|notimestamps|>`, the sentence's tokens as the
automaton spells them, `<|endoftext|>`), cross-entropy on the sentence tokens and the end; LoRA on
the decoder's self-attention query/value and cross-attention query/output (`adapter.TARGETS`),
everything else frozen; AdamW, early stopping on the validation loss; one torch thread.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MODEL = REPO.parent / "shared" / "models" / "faster-whisper-base"
BASES = {"fr": ("fr", "fr-be", "fr-ch"), "en": ("en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-us-nyc")}
VARIANTS = tuple(f"m{i}" for i in range(1, 8)) + tuple(f"f{i}" for i in range(1, 6)) + ("",)
VALIDATION_VARIANTS = ("m6", "f4")
INTENT_WEIGHT = {"place_trade": 6.0, "close_positions": 2.0, "set_risk": 2.0, "confirm": 1.5, "cancel": 1.5,
                 "followup_answer": 1.0}
SAY_WORDS = {
    "fr": {"CVaR": "cé var", "cvar": "cé var", "SHAP": "chape", "shap": "chape", "PnL": "P N L", "P&L": "P et L",
           "S&P": "S et P", "%": "pour cent", "QR-DQN": "Q R D Q N"},
    "en": {"CVaR": "C var", "cvar": "C var", "PnL": "P N L", "P&L": "P and L", "S&P": "S and P", "%": "percent",
           "QR-DQN": "Q R D Q N"},
}
_ACRO = re.compile(r"^[A-Z]{2,5}$")


def _progress(i: int, n: int, t0: float, what: str) -> None:
    if sys.stderr.isatty():
        print(f"\r{what} {i}/{n} {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr, flush=True)
    elif i == n or i % max(1, n // 20) == 0:
        print(f"{what} {i}/{n} {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- sentences
def _number(kind: str, name: str, lang: str, rng: random.Random) -> tuple[str, str]:
    """(written, said) for one number slot."""
    from assistant.nlu.numbers import number_language

    words = number_language(lang).to_words
    if name == "price":
        base = rng.choice([rng.uniform(3800, 6500), rng.uniform(14000, 23000)])
        value = round(base * 4) / 4
        whole, frac = int(value), value - int(value)
        if lang == "fr":
            written = f"{whole:,}".replace(",", " ") + (f",{round(frac * 100):02d}".rstrip("0") if frac else "")
        else:
            written = f"{whole:,}" + (f".{round(frac * 100):02d}".rstrip("0") if frac else "")
        return written, words(value)
    if kind == "percent":
        value = rng.choice([0.25, 0.5, 0.5, 1, 1, 1, 1.5, 2, 2, 2.5, 3, 4, 5, 10])
        value = int(value) if float(value).is_integer() else value
        word = "pour cent" if lang == "fr" else "percent"
        said = f"{words(value)} {word}"
        if rng.random() < 0.6:
            return f"{value}%".replace(".", "," if lang == "fr" else "."), said
        return said, said
    n = rng.randint(1, 99) if rng.random() < 0.9 else rng.randint(100, 500)
    if rng.random() < 0.65:
        return str(n), words(n)
    return words(n), words(n)


def sample(grammar: Any, lang: str, rng: random.Random) -> tuple[str, str, str] | None:
    """(written text, text for the synthesiser, intent) of one random grammar sentence."""
    from assistant.grammar.expand import random_expansion
    from assistant.grammar.model import RangeList

    lg = grammar.language(lang)
    names = sorted(lg.intents)
    weights = [INTENT_WEIGHT.get(n, 1.0) for n in names]
    intent = lg.intents[rng.choices(names, weights)[0]]
    templates = [t for t in intent.templates if t.speech and not t.typed_only]
    if not templates:
        return None
    tpl = rng.choice(templates)
    parts = random_expansion(tpl.expr, lg.rules, rng, keep_optional=0.35)
    written: list[str] = []
    said: list[str] = []
    for part in parts:
        if isinstance(part, str):
            w, s = part, part
        else:
            lst = lg.lists[part.list_name]
            if isinstance(lst, RangeList):
                w, s = _number(lst.kind, lst.name, lang, rng)
            else:
                value = rng.choice(lst.values)
                w = rng.choice(value.forms)
                s = w
        written.append(w)
        said.append(s)
    text = " ".join(written).replace("' ", "'")
    speech = []
    for word in " ".join(said).replace("' ", "'").split():
        key = word.strip(",.?!")
        if key in SAY_WORDS[lang]:
            speech.append(SAY_WORDS[lang][key])
        elif _ACRO.match(key):
            speech.append(" ".join(key))
        else:
            speech.append(word)
    return text, " ".join(speech), intent.name


def target_tokens(automaton: Any, tokenizer: Any, lang: str, text: str, intent: str) -> tuple[int, ...] | None:
    """The text's tokens as Whisper writes it (capitalised, a leading space), if the token
    automaton accepts them with that intent."""
    for cand in (text[:1].upper() + text[1:], text):
        tokens = tokenizer.encode(" " + cand)
        frontier = automaton.initial(lang)
        for tok in tokens:
            frontier = automaton.advance(frontier, tok)
            if frontier.empty:
                break
        else:
            meanings = automaton.meanings(frontier)
            if len(meanings) == 1 and next(iter(meanings)).intent == intent:
                return tokens
    return None


# ---------------------------------------------------------------------------- audio
def _frame(speech: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from audio_fixtures import noises

    x = speech.astype(np.float32) / 32768 * (10 ** (rng.uniform(-12, 2) / 20))
    lead, tail = int(rng.uniform(0.1, 0.5) * 16000), int(rng.uniform(0.4, 0.7) * 16000)
    out = np.concatenate([np.zeros(lead, np.float32), x, np.zeros(tail, np.float32)])
    return out + noises.room_tone(len(out), rng)


def _power(x: np.ndarray) -> float:
    frames = x[: len(x) // 320 * 320].reshape(-1, 320).astype(np.float64)
    energy = (frames ** 2).mean(1) + 1e-12
    db = 10 * np.log10(energy)
    return float(energy[db > db.max() - 35].mean())


def _noisy(x: np.ndarray, others: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    from audio_fixtures import noises

    n = len(x)
    kind = rng.choice(["pink", "brown", "babble"])
    if kind == "babble" and others:
        noise = np.zeros(n, np.float64)
        for _ in range(int(rng.integers(3, 7))):
            o = others[int(rng.integers(len(others)))].astype(np.float64)
            o = np.tile(o, n // len(o) + 2)
            start = int(rng.integers(0, len(o) - n))
            noise += o[start:start + n] * rng.uniform(0.5, 1.0)
    else:
        noise = noises.coloured(n, 1.0 if kind == "pink" else 2.0, rng).astype(np.float64)
    snr = rng.uniform(0, 20)
    noise *= math.sqrt(_power(x) / (float((noise ** 2).mean()) + 1e-12) / 10 ** (snr / 10))
    return (x + noise).astype(np.float32)


def cmd_data(args: argparse.Namespace) -> int:
    from assistant.asr.constrained_whisper import SearchSettings
    from assistant.asr.token_graph import TokenAutomaton
    from assistant.asr.whisper_encoder import WhisperEncoder
    from assistant.asr.whisper_tokenizer import load_tokenizer
    from assistant.grammar import load_grammar
    from assistant.grammar.graph import word_graph
    from audio_fixtures.voices import SynthesisError, Voice, synthesise

    rng = random.Random(args.seed)
    nrng = np.random.default_rng(args.seed)
    grammar = load_grammar(None)
    tokenizer = load_tokenizer(args.model)
    automaton = TokenAutomaton({lang: word_graph(grammar, lang) for lang in ("fr", "en")}, tokenizer)
    encoder = WhisperEncoder(args.model, threads=1)
    pad_s = SearchSettings().pad_s
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[str, str, str, tuple[int, ...], Voice, int, bool]] = []
    for lang in ("fr", "en"):
        made = 0
        tries = 0
        while made < args.per_lang and tries < args.per_lang * 20:
            tries += 1
            s = sample(grammar, lang, rng)
            if s is None:
                continue
            text, say, intent = s
            tokens = target_tokens(automaton, tokenizer, lang, text, intent)
            if tokens is None or len(tokens) > 40:
                continue
            variant = rng.choice(VARIANTS)
            ident = rng.choice(BASES[lang]) + (f"+{variant}" if variant else "")
            voice = Voice(f"espeak-{ident}", lang, "espeak", ident, False, rng.randint(25, 75))
            plan.append((lang, text, say, tokens, voice, rng.randint(75, 135), variant in VALIDATION_VARIANTS))
            made += 1
    print(f"{len(plan)} sentences planned ({tries} tries for the last language)", file=sys.stderr)
    clips: list[np.ndarray] = []
    meta: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    for i, (lang, text, say, tokens, voice, rate, val) in enumerate(plan):
        try:
            pcm = synthesise(say, voice, rate)
        except SynthesisError:
            continue
        clips.append(_frame(pcm, nrng))
        meta.append({"lang": lang, "text": text, "say": say, "tokens": list(tokens), "voice": voice.ident,
                     "pitch": voice.pitch, "rate": rate, "validation": val})
        _progress(i + 1, len(plan), t0, "synthesised")
    print(file=sys.stderr)
    encoded: dict[str, np.ndarray] = {}
    t0 = time.perf_counter()
    for i, (x, m) in enumerate(zip(clips, meta)):
        if nrng.random() < args.noisy:
            others = [clips[int(j)] for j in nrng.integers(0, len(clips), 8) if int(j) != i]
            x = _noisy(x, others, nrng)
            m["noisy"] = True
        x = np.clip(x, -1, 1)
        encoded[f"e{i}"] = encoder.encode(x, pad_s)[0].astype(np.float16)
        _progress(i + 1, len(clips), t0, "encoded")
    print(file=sys.stderr)
    np.savez(out / "encoded.npz", **encoded)  # type: ignore[arg-type]
    (out / "clips.json").write_text(json.dumps(meta, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"{len(meta)} clips -> {out}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------------------- training
def _batches(idx: list[int], size: int, rng: random.Random) -> list[list[int]]:
    idx = idx[:]
    rng.shuffle(idx)
    return [idx[i:i + size] for i in range(0, len(idx), size)]


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from assistant.asr.adapter import LoraWeights, model_hash
    from assistant.asr.constrained_whisper import PROMPTS, SearchSettings
    from assistant.asr.constrained_search import ConstrainedSearch
    from assistant.asr.token_graph import TokenAutomaton
    from assistant.asr.whisper_decoder import WhisperDecoder
    from assistant.asr.whisper_encoder import WhisperEncoder
    from assistant.asr.whisper_tokenizer import load_tokenizer
    from assistant.grammar import load_grammar
    from assistant.grammar.graph import word_graph

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    data = Path(args.data)
    meta = json.loads((data / "clips.json").read_text(encoding="utf-8"))
    enc = np.load(data / "encoded.npz")
    tokenizer = load_tokenizer(args.model)
    grammar = load_grammar(None)
    automaton = TokenAutomaton({lang: word_graph(grammar, lang) for lang in ("fr", "en")}, tokenizer)
    dec = WhisperDecoder(args.model, dtype="float32")
    search = ConstrainedSearch(dec, automaton, tokenizer, prompts=PROMPTS)
    dec.set_silence(WhisperEncoder(args.model, threads=1).silence(args.model))
    frames = SearchSettings().window_frames
    silence = dec._silence  # (1, H, 1500, d) per layer
    prefix = {lang: [*search.prefix[lang], search.sot, search.lang_tokens[lang], search.transcribe,
                     search.notimestamps] for lang in ("fr", "en")}
    eot = search.eot
    lora = LoraWeights.new(dec.layers_n, dec.width, args.rank, alpha=args.alpha, seed=args.seed)
    params = lora.parameters
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    train = [i for i, m in enumerate(meta) if not m["validation"]]
    val = [i for i, m in enumerate(meta) if m["validation"]]
    if args.val_limit:
        val = random.Random(args.seed).sample(val, min(args.val_limit, len(val)))
    if args.limit:
        train = train[: args.limit]
    print(f"train {len(train)} clips, validation {len(val)}; rank {args.rank}, "
          f"{sum(p.numel() for p in params):,} parameters", file=sys.stderr)
    F = torch.nn.functional

    def batch_loss(ids: list[int], grad: bool) -> tuple[Any, int]:
        seqs = [prefix[meta[i]["lang"]] + meta[i]["tokens"] + [eot] for i in ids]
        start = len(prefix["fr"])  # every prefix has the same length (the prompts are cut so)
        s = max(len(q) for q in seqs)
        tokens = torch.full((len(ids), s), eot, dtype=torch.long)
        target = torch.full((len(ids), s), -100, dtype=torch.long)
        for r, q in enumerate(seqs):
            tokens[r, :len(q)] = torch.as_tensor(q)
            target[r, start - 1:len(q) - 1] = torch.as_tensor(q[start:])
        with torch.no_grad():
            cross = []
            own = [dec._kv(enc[f"e{i}"].astype(np.float32)) for i in ids]
            for layer in range(dec.layers_n):
                ks, vs = [], []
                for o in own:
                    k, v = o[layer]
                    t = k.shape[2]
                    sk, sv = silence[layer]
                    ks.append(torch.cat([k, sk[:, :, t:frames]], 2) if t < frames else k[:, :, :frames])
                    vs.append(torch.cat([v, sv[:, :, t:frames]], 2) if t < frames else v[:, :, :frames])
                cross.append((torch.cat(ks, 0).clone(), torch.cat(vs, 0).clone()))
        active = lora if grad else None
        if grad:
            x, _ = dec._forward(tokens, 0, None, cross, lora=active)
        else:
            with torch.no_grad():
                x, _ = dec._forward(tokens, 0, None, cross, lora=_Frozen(lora))
        read = target[:, start - 1:] != -100
        h = x[:, start - 1:][read]
        logits = F.linear(h, dec.embeddings)
        loss = F.cross_entropy(logits, target[:, start - 1:][read], reduction="sum")
        return loss, int(read.sum())

    def evaluate(ids: list[int]) -> float:
        total, n = 0.0, 0
        for b in [ids[i:i + args.batch] for i in range(0, len(ids), args.batch)]:
            loss, k = batch_loss(b, False)
            total += float(loss)
            n += k
        return total / max(1, n)

    def info() -> dict[str, Any]:
        return {"model_sha256": sha, "base_validation_loss": round(base_val, 4), "train_clips": len(train),
                "validation_clips": len(val), "seed": args.seed, "lr": args.lr, "batch": args.batch,
                "data": "espeak-ng voices only; grammar sentences; pink/brown/espeak babble noise"}

    sha = model_hash(args.model)
    base_val = evaluate(val)
    print(f"validation loss per token, base model: {base_val:.4f}", file=sys.stderr)
    best, best_state, bad, step = base_val, None, 0, 0
    t0, c0 = time.perf_counter(), time.process_time()
    history = []
    for epoch in range(1, args.epochs + 1):
        batches = _batches(train, args.batch, rng)
        for bi, b in enumerate(batches):
            loss, k = batch_loss(b, True)
            opt.zero_grad()
            (loss / k).backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            step += 1
            _progress(bi + 1, len(batches), t0, f"epoch {epoch} loss {float(loss.detach()) / k:.3f} step")
        v = evaluate(val)
        history.append({"epoch": epoch, "validation_loss": round(v, 4), "steps": step,
                        "minutes": round((time.perf_counter() - t0) / 60, 1)})
        print(f"\nepoch {epoch}: validation loss {v:.4f} (base {base_val:.4f}), "
              f"{(time.perf_counter() - t0) / 60:.1f} min, CPU {(time.process_time() - c0) / 60:.1f} min",
              file=sys.stderr)
        if v < best - 1e-4:
            best, bad = v, 0
            best_state = [p.detach().clone() for p in params]
            # Written after every better epoch: a long run can be measured before it ends.
            lora.save(args.out, {**info(), "validation_loss": round(best, 4), "history": history})
        else:
            bad += 1
            if bad >= args.patience:
                break
    if best_state is None:
        print("no epoch improved on the base model: nothing written", file=sys.stderr)
        return 1
    with torch.no_grad():
        for p, s in zip(params, best_state):
            p.copy_(s)
    size = lora.save(args.out, {**info(), "validation_loss": round(best, 4), "history": history})
    print(f"adapter -> {args.out} ({size / 1024:.0f} kB)", file=sys.stderr)
    return 0


class _Frozen:
    """The adapter's deltas without gradient tracking (validation)."""

    def __init__(self, lora: Any) -> None:
        self.lora = lora

    def delta(self, name: str, i: int, h: Any) -> Any:
        return self.lora.delta(name, i, h).detach()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(MODEL), help="Whisper model folder (CTranslate2, float weights)")
    p.add_argument("--seed", type=int, default=0)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data", help="synthesise and encode the training clips")
    d.add_argument("--out", required=True, help="folder for encoded.npz and clips.json (not in the repository)")
    d.add_argument("--per-lang", type=int, default=1400)
    d.add_argument("--noisy", type=float, default=0.4, help="share of clips mixed with noise")
    t = sub.add_parser("train", help="train the adapter on a data folder")
    t.add_argument("--data", required=True)
    t.add_argument("--out", required=True, help="adapter file (.npz)")
    t.add_argument("--rank", type=int, default=8)
    t.add_argument("--alpha", type=float, default=16.0)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--epochs", type=int, default=4)
    t.add_argument("--patience", type=int, default=1)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--limit", type=int, default=0, help="at most this many training clips (0: all)")
    t.add_argument("--val-limit", type=int, default=200, help="validation clips used (0: all)")
    args = p.parse_args(argv)
    return cmd_data(args) if args.cmd == "data" else cmd_train(args)


if __name__ == "__main__":
    sys.exit(main())
