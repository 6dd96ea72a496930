"""Speech output: `Speaker` (queued, calm/urgent profiles with pre-emption) and its
implementations: `Pyttsx3Speaker` (live voice), `WavSpeaker` (a WAV per utterance), `NullSpeaker`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import LANGS, PROFILES, NullSpeaker, Speaker, SpeechError, SpeechSettings, SpokenItem, VoiceProfile
from .live_speaker import NO_OUTPUT_WARNING, Pyttsx3Speaker, resolve_output_device
from .synth import Pyttsx3Synth, Synthesis
from .wav_speaker import WavSpeaker


def make_speaker(config: Any, kind: str = "live", out_dir: str | Path | None = None) -> Speaker:
    """Speaker from `config.speech`. kind: "live" | "wav" (needs out_dir) | "null".
    `speech.enabled: false` always gives a NullSpeaker."""
    speech = config.speech
    if not speech.enabled or kind == "null":
        return NullSpeaker(SpeechSettings.from_config(speech))
    settings = SpeechSettings.from_config(speech)
    if kind == "wav":
        if out_dir is None:
            raise SpeechError("WavSpeaker : dossier de sortie manquant", "WavSpeaker: output folder missing")
        return WavSpeaker(out_dir, settings)
    if kind == "live":
        return Pyttsx3Speaker(settings, output_device=getattr(speech, "output_device", None))
    raise SpeechError(f"Type de sortie vocale inconnu : {kind}", f"Unknown speech output kind: {kind}")


__all__ = [
    "LANGS", "NO_OUTPUT_WARNING", "PROFILES", "NullSpeaker", "Pyttsx3Speaker", "Pyttsx3Synth", "Speaker",
    "SpeechError", "SpeechSettings", "SpokenItem", "Synthesis", "VoiceProfile", "WavSpeaker", "make_speaker",
    "resolve_output_device",
]
