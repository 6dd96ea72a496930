"""The test voices: natural-sounding pico2wave and MBROLA voices, espeak-ng variants for variety.

Natural voices come from Debian's contrib/non-free components and are installed for tests only
(`make test-voices`); when one is missing it is left out and `missing_natural()` says which, so
tests can skip with the command that installs them. Every synthesis returns 16 kHz mono int16.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf

from assistant.audio.pcm import to_16k_mono_int16

MBROLA_DIR = Path("/usr/share/mbrola")
INSTALL_HINT = "sudo make test-voices   (or: make test, which installs them for the tests)"


@dataclass(frozen=True)
class Voice:
    name: str  # folder name in the fixture set: "pico-en-US", "mb-us1", "espeak-fr+m3"
    lang: str  # "en" | "fr"
    engine: str  # "pico" | "mbrola" | "espeak"
    ident: str  # pico language code, or espeak-ng voice name ("mb-fr1", "fr+m3")
    natural: bool
    pitch: int = 50  # espeak-ng pitch (0-99); pico keeps its own

    @property
    def spec(self) -> str:
        return f"{self.engine}:{self.ident}:{self.pitch}"


def _pico(lang: str, code: str) -> Voice:
    return Voice(f"pico-{code}", lang, "pico", code, True)


def _mb(lang: str, ident: str) -> Voice:
    return Voice(ident, lang, "mbrola", ident, True)


def _es(lang: str, ident: str, pitch: int) -> Voice:
    return Voice(f"espeak-{ident}", lang, "espeak", ident, False, pitch)


NATURAL: dict[str, list[Voice]] = {
    "en": [_pico("en", "en-US"), _mb("en", "mb-us1"), _pico("en", "en-GB"), _mb("en", "mb-us2"),
           _mb("en", "mb-en1"), _mb("en", "mb-us3")],
    "fr": [_pico("fr", "fr-FR"), _mb("fr", "mb-fr1"), _mb("fr", "mb-fr2"), _mb("fr", "mb-fr3"),
           _mb("fr", "mb-fr4"), _mb("fr", "mb-fr5"), _mb("fr", "mb-fr6"), _mb("fr", "mb-fr7")],
}
# espeak-ng variants: robotic, kept as extra variety (a separate labels file).
ESPEAK: dict[str, list[Voice]] = {
    "en": [_es("en", "en-us+m3", 40), _es("en", "en-gb-x-rp", 50), _es("en", "en-us+f2", 60)],
    "fr": [_es("fr", "fr+m3", 50), _es("fr", "fr-be", 45), _es("fr", "fr+f2", 60)],
}
# Speaking rates, in percent of each voice's normal rate; items take one by their hash.
RATES = (85, 100, 115)
_ESPEAK_WPM = 170  # espeak-ng's normal rate (words per minute) for rate 100 %


class SynthesisError(RuntimeError):
    pass


@lru_cache(maxsize=None)
def is_available(voice: Voice) -> bool:
    if voice.engine == "pico":
        return shutil.which("pico2wave") is not None
    if shutil.which("espeak-ng") is None:
        return False
    if voice.engine == "mbrola":
        db = voice.ident.removeprefix("mb-")
        return shutil.which("mbrola") is not None and (
            (MBROLA_DIR / db / db).is_file() or (MBROLA_DIR / db).is_file())
    return True


def natural_voices(lang: str) -> list[Voice]:
    return [v for v in NATURAL[lang] if is_available(v)]


def espeak_voices(lang: str) -> list[Voice]:
    return [v for v in ESPEAK[lang] if is_available(v)]


def missing_natural() -> list[str]:
    """Debian packages of the natural voices that are not installed."""
    missing = []
    for lang in ("en", "fr"):
        for v in NATURAL[lang]:
            if not is_available(v):
                missing.append("libttspico-utils" if v.engine == "pico" else f"mbrola-{v.ident[3:]}")
    return sorted(set(missing))


@lru_cache(maxsize=1)
def tool_versions() -> dict[str, str]:
    """What made the audio (part of the cache key: another synthesiser version regenerates)."""
    out: dict[str, str] = {}
    exe = shutil.which("espeak-ng")
    if exe:
        text = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
        out["espeak-ng"] = text.split("Data at")[0].strip()
    for pkg in ("libttspico-utils", "mbrola"):
        res = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True,
                             check=False) if shutil.which("dpkg-query") else None
        out[pkg] = res.stdout.strip() if res is not None and res.returncode == 0 else "absent"
    return out


def command(text: str, voice: Voice, rate: int, out: Path) -> list[str]:
    """The synthesiser command line for one sentence at `rate` percent."""
    if voice.engine == "pico":
        # pico2wave reads its own markup for the rate.
        return ["pico2wave", "-l", voice.ident, "-w", str(out), f"<speed level='{rate}'>{text}</speed>"]
    wpm = round(_ESPEAK_WPM * rate / 100)
    return ["espeak-ng", "-v", voice.ident, "-s", str(wpm), "-p", str(voice.pitch), "-w", str(out), text]


def synthesise(text: str, voice: Voice, rate: int = 100) -> np.ndarray:
    """16 kHz mono int16 speech of `text` said by `voice`."""
    with tempfile.TemporaryDirectory(prefix="mia-tts-") as tmp:
        out = Path(tmp) / "x.wav"
        cmd = command(text, voice, rate, out)
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            raise SynthesisError(f"{voice.name} could not say {text!r}: {exc}") from None
        try:
            data, sr = sf.read(str(out), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise SynthesisError(f"{voice.name} wrote no readable audio for {text!r}: {exc}") from None
    if data.size == 0:
        raise SynthesisError(f"{voice.name} wrote an empty file for {text!r}")
    return to_16k_mono_int16(data, int(sr))
