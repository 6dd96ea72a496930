"""Noises for the fixture set, synthesised deterministically from a seed (no recording exists offline).

* `pink`, `brown`: stationary coloured noise (1/f, 1/f^2).
* `babble`: a cafe or trading floor: many talkers (natural TTS voices of both languages saying
  neutral sentences, none a command) overlapping, each with its own level, gaps and start.
* `music`: a pop loop: chords (additive pads), a bass line, a plucked melody (Karplus-Strong) and
  drums (kick, snare, hi-hat) at 96-124 bpm, with bar-to-bar changes.
* `clatter`: a kitchen: running water (band-limited noise with a slow, irregular level and bubble
  chirps) under random metallic hits (modal synthesis: inharmonic partials with exponential decay,
  a click at the onset), single or in clusters, over a 25 dB range of levels.

The three last are *non-stationary*: levels, spectra and pitch move all the time, which is what
breaks an energy endpointer (a clatter hit looks like speech onset, a drum fill like a syllable).
Every function takes a `numpy.random.Generator`; the same seed gives the same samples.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assistant.audio.pcm import SAMPLE_RATE

SR = SAMPLE_RATE
NEUTRAL_SENTENCES = {
    "en": [
        "the meeting has been moved to the room on the third floor near the lifts",
        "she said the train would be late again because of the weather in the north",
        "we should bring the blue chairs back from the garden before the evening",
        "the library keeps old newspapers and maps in the basement for visitors",
        "my brother is painting the kitchen yellow and the hallway light green",
        "they walked along the river until the sun went down behind the hills",
        "the bakery on the corner sells the best bread in the whole town",
        "did you see the film about the old lighthouse keeper last night",
    ],
    "fr": [
        "le boulanger ouvre sa boutique très tôt le matin pour les gens du quartier",
        "nous avons visité le musée puis nous avons mangé dans un petit restaurant",
        "la voisine arrose ses fleurs chaque soir quand il fait beau dehors",
        "les enfants ont construit une cabane au fond du jardin cet été",
        "il faudra repeindre la cuisine avant l'arrivée de tes parents",
        "le facteur est passé plus tard que d'habitude à cause de la neige",
        "on a retrouvé les vieilles photos de vacances dans le grenier",
        "elle lit toujours le journal en buvant son café au comptoir",
    ],
}


def normalise(x: np.ndarray, dbfs: float = -20.0) -> np.ndarray:
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) or 1.0
    return (x * (10 ** (dbfs / 20) / rms)).astype(np.float32)


def coloured(n: int, exponent: float, rng: np.random.Generator, low_cut_hz: float = 20.0) -> np.ndarray:
    """Noise whose power falls as 1/f**exponent (1: pink, 2: brown), nothing under `low_cut_hz`."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    shape = np.zeros_like(f)
    keep = f >= low_cut_hz
    shape[keep] = f[keep] ** (-exponent / 2)
    return normalise(np.fft.irfft(spectrum * shape, n))


def band_noise(n: int, lo: float, hi: float, rng: np.random.Generator, tilt: float = 0.0) -> np.ndarray:
    """Noise between `lo` and `hi` Hz with soft (second-order-like) edges, power falling as 1/f**tilt."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.maximum(np.fft.rfftfreq(n, 1 / SR), 1.0)
    shape = 1 / np.sqrt(1 + (lo / f) ** 4) / np.sqrt(1 + (f / hi) ** 4) * f ** (-tilt / 2)
    return normalise(np.fft.irfft(spectrum * shape, n))


def smooth_random(n: int, rate_hz: float, rng: np.random.Generator) -> np.ndarray:
    """A slowly wandering positive envelope (random points every 1/rate_hz s, interpolated)."""
    points = max(2, int(n / SR * rate_hz) + 2)
    knots = rng.uniform(0.0, 1.0, points)
    return np.interp(np.arange(n), np.linspace(0, n, points), knots).astype(np.float32)


# ---------------------------------------------------------------------------- babble
def babble(rng: np.random.Generator, seconds: float, say: Callable[[str, str, int], np.ndarray | None],
           talkers: int = 12) -> np.ndarray:
    """`say(text, lang, talker)` returns int16 16 kHz speech (or None when no voice can)."""
    n = int(seconds * SR)
    total = np.zeros(n, dtype=np.float64)
    for talker in range(talkers):
        lang = "en" if talker % 2 == 0 else "fr"
        sentences = NEUTRAL_SENTENCES[lang]
        pieces: list[np.ndarray] = []
        length = 0
        k = int(rng.integers(0, len(sentences)))
        while length < n:
            pcm = say(sentences[k % len(sentences)], lang, talker)
            if pcm is None:
                break
            speech = pcm.astype(np.float32) / 32768
            gap = np.zeros(int(rng.uniform(0.1, 0.6) * SR), np.float32)
            pieces += [speech, gap]
            length += len(speech) + len(gap)
            k += 1
        if not pieces:
            continue
        track = np.roll(np.concatenate(pieces)[:n], int(rng.integers(0, n)))
        total += normalise(track, -20.0 - rng.uniform(0, 8))
    if not total.any():
        raise RuntimeError("no voice could synthesise the babble talkers")
    return normalise(total.astype(np.float32))


# ---------------------------------------------------------------------------- music
def _note_hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _pluck(freq: float, dur: float, rng: np.random.Generator, decay: float = 0.996) -> np.ndarray:
    """Karplus-Strong plucked string."""
    n = int(dur * SR)
    period = max(2, int(SR / freq))
    buf = rng.uniform(-1, 1, period)
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        j = i % period
        out[i] = buf[j]
        buf[j] = decay * 0.5 * (buf[j] + buf[(j + 1) % period])
    return out


def _env(n: int, attack: float, release: float) -> np.ndarray:
    t = np.arange(n) / SR
    env = np.minimum(1.0, t / max(attack, 1e-3))
    tail = (n / SR) - t
    return env * np.minimum(1.0, tail / max(release, 1e-3))


def music(rng: np.random.Generator, seconds: float) -> np.ndarray:
    n = int(seconds * SR)
    bpm = float(rng.uniform(96, 124))
    beat = 60.0 / bpm
    key = int(rng.integers(55, 63))  # tonic, MIDI
    scale = [0, 2, 4, 5, 7, 9, 11]
    progressions = [[0, 7, 9, 5], [0, 5, 7, 5], [9, 5, 0, 7], [0, 9, 5, 7]]
    prog = progressions[int(rng.integers(0, len(progressions)))]
    bar = 4 * beat
    bars = int(seconds / bar) + 1
    out = np.zeros(int((bars + 1) * bar * SR) + 2 * SR, dtype=np.float64)
    t_bar = np.arange(int(bar * SR)) / SR
    for b in range(bars):
        start = int(b * bar * SR)
        root = key + prog[b % 4]
        minor = prog[b % 4] in (9, 2, 4)
        chord = [root, root + (3 if minor else 4), root + 7, root + 12]
        pad = sum(np.sin(2 * np.pi * _note_hz(m) * h * t_bar) / h ** 1.5 for m in chord for h in (1, 2, 3))
        pad = pad * _env(len(t_bar), 0.08, 0.3) * 0.05
        out[start:start + len(pad)] += pad
        # Bass: root on beats 1 and 3, a passing note sometimes on 4.
        for k, step in enumerate((0, 2) + ((3,) if rng.random() < 0.5 else ())):
            s = start + int(step * beat * SR)
            dur = int(beat * SR * (0.9 if k < 2 else 0.45))
            tb = np.arange(dur) / SR
            f = _note_hz(root - 24 + (7 if k == 2 else 0))
            tone = (np.sin(2 * np.pi * f * tb) + 0.3 * np.sin(4 * np.pi * f * tb)) * np.exp(-tb / 0.35)
            out[s:s + dur] += 0.25 * tone
        # Melody: plucked eighth notes from the scale, some rests, a fill every fourth bar.
        for e in range(8):
            if rng.random() < (0.25 if b % 4 != 3 else 0.05):
                continue
            s = start + int(e * beat / 2 * SR)
            note = key + 12 + scale[int(rng.integers(0, len(scale)))] + (12 if rng.random() < 0.2 else 0)
            pl = _pluck(_note_hz(note), beat * 0.9, rng)
            out[s:s + len(pl)] += 0.18 * pl
        # Drums.
        for q in range(4):
            s = start + int(q * beat * SR)
            if q in (0, 2):  # kick: a falling sine
                m = int(0.18 * SR)
                tk = np.arange(m) / SR
                phase = 2 * np.pi * np.cumsum(45 + 110 * np.exp(-tk / 0.03)) / SR
                out[s:s + m] += 0.6 * np.sin(phase) * np.exp(-tk / 0.07)
            else:  # snare: noise and a 190 Hz body
                m = int(0.16 * SR)
                ts = np.arange(m) / SR
                body = 0.3 * np.sin(2 * np.pi * 190 * ts) * np.exp(-ts / 0.04)
                out[s:s + m] += (0.35 * rng.standard_normal(m) * np.exp(-ts / 0.05) + body)
            for half in (0, 1):  # hi-hat on eighths
                h = s + int(half * beat / 2 * SR)
                m = int(0.04 * SR)
                noise = np.diff(rng.standard_normal(m + 1))  # differentiated: bright
                out[h:h + m] += 0.08 * noise * np.exp(-np.arange(m) / SR / 0.012)
    return normalise(out[:n].astype(np.float32))


# ---------------------------------------------------------------------------- kitchen clatter
def _metal_hit(rng: np.random.Generator, heavy: bool) -> np.ndarray:
    """One strike of a pan, a plate or cutlery: inharmonic partials ringing down, a click on top."""
    dur = rng.uniform(0.3, 0.9) if heavy else rng.uniform(0.08, 0.45)
    m = int(dur * SR)
    t = np.arange(m) / SR
    base = rng.uniform(180, 600) if heavy else rng.uniform(900, 3200)
    ratios = np.array([1.0, 1.59, 2.14, 2.30, 2.65, 3.16, 3.50, 4.07])[: int(rng.integers(4, 9))]
    ratios = ratios * rng.uniform(0.97, 1.03, len(ratios))
    x = np.zeros(m)
    for r in ratios:
        f = base * r
        if f >= SR / 2 - 200:
            continue
        tau = rng.uniform(0.05, 0.35) * (1.5 if heavy else 1.0) / np.sqrt(r)
        x += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) * np.exp(-t / tau)
    click_len = int(0.004 * SR)
    x[:click_len] += rng.standard_normal(click_len) * np.linspace(1.5, 0, click_len)
    return x / (np.max(np.abs(x)) or 1.0)


def clatter(rng: np.random.Generator, seconds: float) -> np.ndarray:
    n = int(seconds * SR)
    # Running water: band-limited noise, an irregular level, bubbles.
    water = band_noise(n, 300, 3000, rng, tilt=0.5).astype(np.float64) * (0.4 + 0.6 * smooth_random(n, 3.0, rng))
    water *= 0.05
    t_bubble = 0.0
    while True:
        t_bubble += rng.exponential(1 / 25)
        s = int(t_bubble * SR)
        if s >= n:
            break
        m = int(rng.uniform(0.004, 0.015) * SR)
        tb = np.arange(m) / SR
        f0 = rng.uniform(400, 1800)
        chirp = np.sin(2 * np.pi * np.cumsum(f0 * (1 + 3 * tb / tb[-1] if m > 1 else 1)) / SR)
        water[s:s + m] += 0.04 * rng.uniform(0.3, 1) * chirp * np.hanning(m)
    out = water
    # Hits: Poisson arrivals, sometimes a cluster (a stack of plates), levels over 25 dB.
    t_hit = rng.uniform(0.1, 0.6)
    while t_hit < seconds:
        cluster = 1 if rng.random() < 0.6 else int(rng.integers(2, 5))
        at = t_hit
        for _ in range(cluster):
            hit = _metal_hit(rng, heavy=rng.random() < 0.2)
            s = int(at * SR)
            e = min(n, s + len(hit))
            if s < n:
                out[s:e] += 10 ** (-rng.uniform(0, 25) / 20) * hit[: e - s]
            at += rng.uniform(0.05, 0.2)
        t_hit = at + rng.exponential(0.9)
    return normalise(out.astype(np.float32))


# ---------------------------------------------------------------------------- short non-speech items
def room_tone(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink noise between -70 and -60 dBFS: a quiet room through a decent microphone."""
    return normalise(coloured(n, 1.0, rng), float(rng.uniform(-70.0, -60.0)))


def non_speech(kind: str, rng: np.random.Generator, excerpt: Callable[[str, int], np.ndarray]) -> np.ndarray:
    """A 2.5 s rejection item at a speech-like level. `excerpt(noise_name, n)` gives `n` samples of
    one of the long noises (babble, music, clatter) from a random place."""
    n = int(2.5 * SR)
    x = room_tone(n, rng)
    if kind == "silence":
        return np.zeros(n, np.float32)
    if kind == "room_tone":
        return x
    if kind == "noise_burst":  # a rustle on the microphone
        m = int(0.5 * SR)
        x[int(0.7 * SR): int(0.7 * SR) + m] += normalise(coloured(m, 0.5, rng) * np.hanning(m), -18.0)
        return x
    if kind == "clicks":  # knocks on the desk
        for start in (0.6, 0.9, 1.2, 1.6):
            i = int(start * SR)
            m = int(0.03 * SR)
            x[i:i + m] += (rng.standard_normal(m) * np.exp(-np.arange(m) / (0.005 * SR)) * 0.5).astype(np.float32)
        return x
    if kind == "door":  # a door shutting: a low thump and a rattle
        m = int(0.5 * SR)
        t = np.arange(m) / SR
        thump = sum(np.sin(2 * np.pi * f * t) * np.exp(-t / 0.08) for f in (62, 95, 140))
        rattle = band_noise(m, 800, 5000, rng) * np.exp(-t / 0.05)
        i = int(0.8 * SR)
        x[i:i + m] += (0.5 * thump / 3 + 0.2 * rattle).astype(np.float32)
        return x
    if kind == "breath":  # a breath close to the microphone
        m = int(0.7 * SR)
        x[int(0.6 * SR): int(0.6 * SR) + m] += normalise(band_noise(m, 300, 3000, rng) * np.hanning(m) ** 2, -24.0)
        return x
    if kind in ("clatter", "music", "babble"):
        return normalise(excerpt(kind, n), -22.0) + x
    raise ValueError(f"unknown non-speech kind {kind!r}")


NON_SPEECH_KINDS = ("silence", "room_tone", "noise_burst", "clicks", "clatter", "music", "babble", "door", "breath")
