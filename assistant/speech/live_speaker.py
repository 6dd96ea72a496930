"""`Pyttsx3Speaker`: the live voice. pyttsx3 + libespeak-ng synthesise; sounddevice plays.

pyttsx3's own playback shells out to `aplay` and swallows every error, and it cannot be cut
short. Playing the synthesised PCM through sounddevice in 50 ms blocks lets an urgent message
interrupt a calm one, and lets a machine without a sound device say so once (a warning in French
and English) instead of failing silently or crashing.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .base import Speaker, SpeechSettings, SpokenItem, _Request
from .synth import Pyttsx3Synth, Synthesis

log = logging.getLogger(__name__)

NO_OUTPUT_WARNING = (
    "Aucune sortie audio disponible : MIA ne sera pas entendue (les réponses restent affichées). / "
    "No audio output available: MIA will not be heard (answers are still shown)."
)


def _sounddevice() -> Any | None:
    try:
        import sounddevice
    except OSError:  # PortAudio library missing
        return None
    return sounddevice


def resolve_output_device(spec: int | str | None) -> int | None:
    """Index of the output device for a name/index (None = default); None when there is none."""
    sd = _sounddevice()
    if sd is None:
        return None
    try:
        devices = list(sd.query_devices())
    except Exception:  # noqa: BLE001 - PortAudio errors vary by host API
        return None
    outputs = [(i, d["name"]) for i, d in enumerate(devices) if d["max_output_channels"] > 0]
    if not outputs:
        return None
    if spec is None or str(spec).strip() == "":
        default = sd.default.device[1] if sd.default.device is not None else -1
        return default if any(i == default for i, _ in outputs) else outputs[0][0]
    if str(spec).strip().isdigit():
        idx = int(spec)
        return idx if any(i == idx for i, _ in outputs) else None
    wanted = str(spec).lower()
    exact = [i for i, n in outputs if n.lower() == wanted]
    partial = [i for i, n in outputs if wanted in n.lower()]
    return exact[0] if exact else (partial[0] if partial else None)


class Pyttsx3Speaker(Speaker):
    def __init__(self, settings: SpeechSettings | None = None, output_device: int | str | None = None,
                 synth: Pyttsx3Synth | None = None, block_s: float = 0.05) -> None:
        self._synth = synth or Pyttsx3Synth.shared()
        settings = settings or SpeechSettings.default()
        for voice in settings.voices.values():
            self._synth.check_voice(voice)
        self.output_device = output_device
        self.block_s = block_s
        self._warned = False
        super().__init__(settings)

    def _warn_no_output(self, detail: str = "") -> None:
        if not self._warned:
            self._warned = True
            log.warning("%s%s", NO_OUTPUT_WARNING, f" ({detail})" if detail else "")

    def _speak(self, req: _Request) -> SpokenItem:
        syn = self._synth.synthesize(req.text, self.settings.voices[req.lang], self.settings.profiles[req.profile])
        played, interrupted = self._play(syn)
        return SpokenItem(req.text, req.lang, req.profile, duration_s=syn.duration_s,
                          played=played, interrupted=interrupted)

    def _play(self, syn: Synthesis) -> tuple[bool, bool]:
        sd = _sounddevice()
        device = resolve_output_device(self.output_device) if sd is not None else None
        if sd is None or device is None:
            self._warn_no_output("no output device" if sd else "PortAudio missing")
            return False, False
        block = max(1, int(syn.sample_rate * self.block_s))
        try:
            stream = sd.OutputStream(device=device, samplerate=syn.sample_rate, channels=1, dtype="int16")
            stream.start()
        except Exception as exc:  # noqa: BLE001 - PortAudioError, OSError...
            self._warn_no_output(str(exc))
            return False, False
        interrupted = False
        try:
            pcm = syn.pcm.reshape(-1, 1)
            for i in range(0, len(pcm), block):
                if self._interrupt.is_set():
                    interrupted = True
                    break
                stream.write(np.ascontiguousarray(pcm[i : i + block]))
        except Exception as exc:  # noqa: BLE001 - device vanished mid-sentence
            self._warn_no_output(str(exc))
            return False, False
        finally:
            # abort(): drop what is buffered when interrupted; otherwise let it drain first.
            try:
                if interrupted:
                    stream.abort()
                else:
                    stream.stop()
            finally:
                stream.close()
        return True, interrupted
