"""Build the labelled audio fixture set (English and French) and its noises, reproducibly.

    .venv/bin/python -m audio_fixtures.generate              # make or refresh audio_fixtures/generated/
    .venv/bin/python -m audio_fixtures.generate --labels     # rewrite the committed labels files
    .venv/bin/python -m audio_fixtures.generate --check      # exit 1 if the audio is missing or stale
    make fixtures                                            # the same as the first line

Sentences and their meaning are in `sentences_en.yaml` / `sentences_fr.yaml`; each sentence is said
by one or more voices (see `voices.py`), at a rate, a level and with a faint room tone drawn from the
item's own seed, so one item's audio never depends on the others. Output (git-ignored):

    generated/en/<voice>/<id>.wav         English items, natural voices    labels: labels_en.json
    generated/fr/<voice>/<id>.wav         French items, natural voices     labels: labels_fr.json
    generated/espeak/<lang>/<voice>/...   espeak-ng variants (extra)       labels: labels_espeak_<lang>.json
    generated/noise/{pink,brown,babble,music,clatter}.wav    30 s noises for `mia harness --noise`
    generated/manifest.json          what made every file (cache key: code, synthesisers, sentence)

Only missing or stale files are made again (the manifest holds one key per file); a lock makes
concurrent test sessions wait for one another instead of writing the same files.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import yaml

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script: make `assistant` importable
    sys.path.insert(0, str(HERE.parent))

from assistant.audio.pcm import SAMPLE_RATE, float_to_int16  # noqa: E402
from assistant.nlu.numbers import number_language  # noqa: E402

from . import noises, voices  # noqa: E402
from .voices import Voice  # noqa: E402

DEFAULT_OUT = HERE / "generated"
LANGS = ("en", "fr")
SEED = 20261205
LEAD_S = 0.4
TAIL_S = 0.3
LEVELS_DB = (0.0, -2.0, -4.0, -6.0, -8.0)
NOISE_S = 30.0
NOISE_NAMES = ("pink", "brown", "babble", "music", "clatter")
FORMAT_VERSION = 2


@dataclass(frozen=True)
class Item:
    id: str
    group: str
    text: str | None  # what is said (None: a non-speech item)
    say: str | None  # what the synthesiser is given
    intent: str | None
    slots: dict[str, Any] = field(default_factory=dict)
    awaits: int | None = None  # issue that will make the parser understand `text`
    kind: str = "speech"  # "speech" or a non-speech kind (noises.NON_SPEECH_KINDS)
    voices: int | str = 1  # how many natural voices say it ("all": every one)


@dataclass(frozen=True)
class Planned:
    key: str  # labels key: "<voice>/<id>.wav"
    lang: str
    item: Item
    voice: Voice | None  # None for non-speech items
    rate: int
    level_db: float

    @property
    def path(self) -> str:
        """Relative to the output folder: natural voices in <lang>/, espeak-ng extras in espeak/<lang>/."""
        extra = self.voice is not None and not self.voice.natural
        return f"espeak/{self.lang}/{self.key}" if extra else f"{self.lang}/{self.key}"


# ---------------------------------------------------------------------------- sentences
def sentences_file(lang: str) -> Path:
    return HERE / f"sentences_{lang}.yaml"


def load_items(lang: str) -> list[Item]:
    data = yaml.safe_load(sentences_file(lang).read_text(encoding="utf-8"))
    if data.get("language") != lang:
        raise ValueError(f"{sentences_file(lang)}: 'language' must be {lang!r}")
    out: list[Item] = []
    seen: set[str] = set()
    prefixes = {"guide": "guide", "short_answers": "short", "phrasings": "phr", "prices": "price",
                "risk": "risk", "confusable": "conf", "numbers": "num", "out_of_domain": "ood",
                "answers": "ans", "non_speech": "ns", "replies": "reply"}
    for group in data["groups"]:
        name = group["name"]
        prefix = prefixes.get(name, name)
        count = group.get("voices", 1)
        entries: list[dict[str, Any]] = list(group.get("items", []))
        if "numbers" in group:
            spec = group["numbers"]
            words = number_language(lang).to_words
            tpls = spec["templates"]
            for n in range(int(spec["from"]), int(spec["to"]) + 1):
                tpl = tpls[(n - spec["from"]) % len(tpls)]
                entries.append({"t": tpl["t"].replace("{n}", words(n)), "i": tpl["i"],
                                "s": {**tpl.get("s", {}), "quantity": n}, "id": f"{prefix}_{n:02d}"})
        for k, e in enumerate(entries, 1):
            item_id = e.get("id") or f"{prefix}_{k:02d}"
            out.append(Item(item_id, name, e["t"], e.get("say", e["t"]), e.get("i"), dict(e.get("s") or {}),
                            e.get("awaits"), "speech", count))
        for kind in group.get("non_speech", []):
            if kind not in noises.NON_SPEECH_KINDS:
                raise ValueError(f"{sentences_file(lang)}: unknown non-speech kind {kind!r}")
            out.append(Item(f"{prefix}_{kind}", name, None, None, None, {}, None, kind, 1))
    for it in out:
        if it.id in seen:
            raise ValueError(f"{sentences_file(lang)}: item id {it.id!r} used twice")
        seen.add(it.id)
    return out


def _hash_int(*parts: Any) -> int:
    return zlib.crc32("|".join(str(p) for p in parts).encode("utf-8"))


def plan(lang: str, *, espeak: bool = False) -> list[Planned]:
    """Every file of one language: each item times its voices, natural (or espeak-ng) ones.

    Voices are handed out in turn over the whole list (a running counter), so each voice says a
    fair share of every group. The voice table is the full one (not only installed voices): the
    plan, hence the labels, is the same on every machine."""
    table = voices.ESPEAK[lang] if espeak else voices.NATURAL[lang]
    out: list[Planned] = []
    turn = 0
    for idx, item in enumerate(load_items(lang)):
        level = LEVELS_DB[_hash_int(lang, item.id, "level") % len(LEVELS_DB)]
        if item.kind != "speech":
            if not espeak:
                out.append(Planned(f"none/{item.id}.wav", lang, item, None, 100, 0.0))
            continue
        if espeak:
            # A third of the sentences, one espeak-ng variant each: variety, not volume.
            if idx % 3:
                continue
            chosen = [table[(idx // 3) % len(table)]]
        else:
            k = len(table) if item.voices == "all" else min(int(item.voices), len(table))
            chosen = [table[(turn + j) % len(table)] for j in range(k)]
            turn += k
        for v in chosen:
            rate = voices.RATES[_hash_int(lang, item.id, v.name, "rate") % len(voices.RATES)]
            out.append(Planned(f"{v.name}/{item.id}.wav", lang, item, v, rate, level))
    return out


def labels(lang: str, *, espeak: bool = False) -> dict[str, dict[str, Any]]:
    """Picovoice-format labels (plus `language` and `text`) of one language's files."""
    out: dict[str, dict[str, Any]] = {}
    for p in plan(lang, espeak=espeak):
        entry: dict[str, Any] = {"intent": p.item.intent}
        if p.item.slots:
            entry["slots"] = dict(p.item.slots)
        entry["language"] = lang
        if p.item.text is not None:
            entry["text"] = p.item.text
        out[p.key] = entry
    return out


# How many files of each group the CI subset takes (spread over the group by a fixed rule, so
# voices and kinds of sentence vary without picking easy items by hand).
CI_PER_GROUP = {"guide": 4, "short_answers": 6, "phrasings": 6, "prices": 2, "risk": 2, "confusable": 3,
                "numbers": 3, "out_of_domain": 3, "non_speech": 3}
# A lighter one (22 files per language) for the recognisers whose decoding dominates the suite's time
# (tests/asr, tests/harness): the same rule and groups, every group still there with both voice kinds
# (pico, MBROLA), confirm and cancel among the short answers, and every rejection item kind
# (out-of-domain speech, the three non-speech items). Set-level figures move; the safety checks still
# look at every file.
CI_LIGHT_PER_GROUP = {"guide": 3, "short_answers": 4, "phrasings": 4, "prices": 1, "risk": 1, "confusable": 2,
                      "numbers": 2, "out_of_domain": 2, "non_speech": 3}


def ci_subset(lang: str, per_group: dict[str, int] | None = None) -> list[str]:
    """Label keys of a CI-sized subset of one language's natural-voice files (32 by default)."""
    wanted = CI_PER_GROUP if per_group is None else per_group
    groups: dict[str, list[str]] = {}
    for p in plan(lang):
        groups.setdefault(p.item.group, []).append(p.key)
    out: list[str] = []
    for group, keys in groups.items():
        k = min(wanted.get(group, 0), len(keys))
        # Evenly spaced, shifted by one more each time so the picks do not all fall on one voice.
        out += [keys[(i * len(keys) // k + i) % len(keys)] for i in range(k)]
    return out


def labels_path(lang: str, *, espeak: bool = False) -> Path:
    return HERE / (f"labels_espeak_{lang}.json" if espeak else f"labels_{lang}.json")


def write_labels() -> list[Path]:
    paths = []
    for lang in LANGS:
        for espeak in (False, True):
            p = labels_path(lang, espeak=espeak)
            p.write_text(json.dumps(labels(lang, espeak=espeak), indent=1, ensure_ascii=False) + "\n",
                         encoding="utf-8")
            paths.append(p)
    return paths


# ---------------------------------------------------------------------------- audio
def _code_hash() -> str:
    """Cache key part: the code that makes audio (a change to it regenerates everything)."""
    h = hashlib.sha256()
    for name in ("voices.py", "noises.py"):
        h.update((HERE / name).read_bytes())
    h.update(str((FORMAT_VERSION, SEED, LEAD_S, TAIL_S, NOISE_S)).encode())
    return h.hexdigest()[:16]


def _key(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


def item_key(p: Planned) -> str:
    return _key(_code_hash(), voices.tool_versions(), p.item.kind, p.item.say, p.voice.spec if p.voice else None,
                p.rate, p.level_db, p.path)


def noise_key(name: str) -> str:
    babble_voices = [v.spec for lang in LANGS for v in voices.natural_voices(lang)] if name == "babble" else []
    return _key(_code_hash(), voices.tool_versions() if name == "babble" else None, name, babble_voices)


def rng_for(*parts: Any) -> np.random.Generator:
    return np.random.default_rng([SEED, _hash_int(*parts)])


def frame_utterance(speech: np.ndarray, level_db: float, rng: np.random.Generator) -> np.ndarray:
    """Silence around the speech, a level, and a faint room tone under everything: a real recording
    never holds digital silence (and exact zeros throw PocketSphinx's scores off)."""
    x = speech.astype(np.float32) / 32768 * (10 ** (level_db / 20))
    out = np.concatenate([np.zeros(int(LEAD_S * SAMPLE_RATE), np.float32), x,
                          np.zeros(int(TAIL_S * SAMPLE_RATE), np.float32)])
    return out + noises.room_tone(len(out), rng)


def write_wav(path: Path, x: np.ndarray) -> None:
    """Atomic write (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    sf.write(str(tmp), x if x.dtype == np.int16 else float_to_int16(x), SAMPLE_RATE, subtype="PCM_16",
             format="WAV")
    tmp.replace(path)


class _NoiseBank:
    """The long noises, made once per run and cut into excerpts for non-speech items."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._cache: dict[str, np.ndarray] = {}

    def get(self, name: str) -> np.ndarray:
        if name not in self._cache:
            path = self.out / "noise" / f"{name}.wav"
            data, _ = sf.read(str(path), dtype="float32")
            self._cache[name] = data
        return self._cache[name]

    def excerpt(self, name: str, n: int, rng: np.random.Generator) -> np.ndarray:
        x = self.get(name)
        start = int(rng.integers(0, len(x) - n))
        return x[start:start + n].copy()


def make_noise(name: str) -> np.ndarray:
    rng = rng_for("noise", name)
    n = int(NOISE_S * SAMPLE_RATE)
    if name == "pink":
        return noises.coloured(n, 1.0, rng)
    if name == "brown":
        return noises.coloured(n, 2.0, rng)
    if name == "music":
        return noises.music(rng, NOISE_S)
    if name == "clatter":
        return noises.clatter(rng, NOISE_S)
    if name == "babble":
        pool = {lang: voices.natural_voices(lang) or voices.espeak_voices(lang) for lang in LANGS}

        def say(text: str, lang: str, talker: int) -> np.ndarray | None:
            vs = pool[lang]
            if not vs:
                return None
            return voices.synthesise(text, vs[talker % len(vs)], voices.RATES[talker % len(voices.RATES)])

        return noises.babble(rng, NOISE_S, say)
    raise ValueError(f"unknown noise {name!r}")


def make_item(p: Planned, bank: _NoiseBank) -> np.ndarray:
    rng = rng_for(p.path)
    if p.voice is None:
        return noises.non_speech(p.item.kind, rng, lambda name, n: bank.excerpt(name, n, rng))
    assert p.item.say is not None
    return frame_utterance(voices.synthesise(p.item.say, p.voice, p.rate), p.level_db, rng)


def _read_manifest(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        return dict(data["files"]) if data.get("format") == FORMAT_VERSION else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def wanted(*, espeak: bool = True) -> Iterator[tuple[str, str, Planned | str]]:
    """(relative path, cache key, what makes it) for every file the set should hold; only voices
    installed on this machine."""
    for name in NOISE_NAMES:
        yield f"noise/{name}.wav", noise_key(name), name
    for lang in LANGS:
        for esp in ((False, True) if espeak else (False,)):
            for p in plan(lang, espeak=esp):
                if p.voice is None or voices.is_available(p.voice):
                    yield p.path, item_key(p), p


def stale(out: Path = DEFAULT_OUT) -> list[str]:
    """Files missing or made by something else than what would make them now."""
    have = _read_manifest(out)
    return [rel for rel, key, _ in wanted() if have.get(rel) != key or not (out / rel).is_file()]


def generate(out: Path = DEFAULT_OUT, *, progress: bool = False) -> list[str]:
    """Make every missing or stale file under `out`; returns the files made."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    have = _read_manifest(out)
    todo = list(wanted())
    # Noises first: non-speech items cut excerpts out of them.
    todo.sort(key=lambda t: not t[0].startswith("noise/"))
    made: list[str] = []
    bank = _NoiseBank(out)
    files: dict[str, str] = {}
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="file", desc="audio fixtures", leave=False)
    try:
        for rel, key, what in todo:
            path = out / rel
            if have.get(rel) != key or not path.is_file():
                audio = make_noise(what) if isinstance(what, str) else make_item(what, bank)
                write_wav(path, audio)
                made.append(rel)
            files[rel] = key
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    # Files of an older plan (a removed sentence or voice) go, so a folder run is the current set.
    for folder in [out / lang for lang in LANGS] + [out / "espeak" / lang for lang in LANGS]:
        for f in folder.rglob("*.wav") if folder.is_dir() else []:
            if f.relative_to(out).as_posix() not in files:
                f.unlink()
    tmp = out / f".manifest.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"format": FORMAT_VERSION, "tools": voices.tool_versions(), "files": files},
                              indent=0, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(out / "manifest.json")
    return made


def ensure(out: Path = DEFAULT_OUT, *, progress: bool = False) -> Path:
    """The set under `out`, made or refreshed if needed. A lock file serialises concurrent test
    sessions (one generates, the others wait and then find it current)."""
    import fcntl

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "generate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if stale(out):
                generate(out, progress=progress)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return out


def composition() -> dict[str, Any]:
    """Counts for the README and the report: items, sentences, voices, rejection items."""
    out: dict[str, Any] = {}
    for lang in LANGS:
        nat = plan(lang)
        esp = plan(lang, espeak=True)
        groups: dict[str, int] = {}
        for p in nat:
            groups[p.item.group] = groups.get(p.item.group, 0) + 1
        out[lang] = {
            "utterances": len(nat), "sentences": len({p.item.id for p in nat}),
            "voices": sorted({p.voice.name for p in nat if p.voice}),
            "rejection_items": sum(1 for p in nat if p.item.intent is None),
            "by_group": groups, "espeak_extra": len(esp),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m audio_fixtures.generate",
                                 description="Make the labelled audio fixture set (see audio_fixtures/README.md).")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    ap.add_argument("--labels", action="store_true", help="rewrite the committed labels files and exit")
    ap.add_argument("--check", action="store_true", help="exit 1 when files are missing or stale; make nothing")
    ap.add_argument("--summary", action="store_true", help="print the set's composition and exit")
    args = ap.parse_args(argv)
    if args.labels:
        for p in write_labels():
            print(f"wrote {p}")
        return 0
    if args.summary:
        print(json.dumps(composition(), indent=1))
        return 0
    missing = voices.missing_natural()
    if missing:
        print("note: natural test voices not installed (their files are skipped): " + " ".join(missing)
              + f"\n  install them with: {voices.INSTALL_HINT}", file=sys.stderr)
    if args.check:
        todo = stale(args.out)
        print(f"{len(todo)} file(s) missing or stale in {args.out}")
        return 1 if todo else 0
    ensure(args.out, progress=sys.stderr.isatty())
    n = sum(1 for _ in args.out.rglob("*.wav"))
    print(f"{n} audio files in {args.out} (labels: {', '.join(p.name for p in sorted(HERE.glob('labels_*.json')))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
