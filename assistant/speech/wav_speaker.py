"""`WavSpeaker`: one WAV file per utterance (tests, the harness, headless machines).

Files are written under a temporary name and renamed when complete, so a reader never sees a
half-written file; the header carries the true sample rate of the voice.
"""
from __future__ import annotations

import os
import threading
import wave
from pathlib import Path

from .base import Speaker, SpeechSettings, SpokenItem, _Request
from .synth import Pyttsx3Synth


class WavSpeaker(Speaker):
    def __init__(self, out_dir: str | Path, settings: SpeechSettings | None = None,
                 synth: Pyttsx3Synth | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._synth = synth or Pyttsx3Synth.shared()
        settings = settings or SpeechSettings.default()
        for voice in settings.voices.values():
            self._synth.check_voice(voice)
        self._counter = 0
        self._counter_lock = threading.Lock()
        super().__init__(settings)

    def _next_path(self, req: _Request) -> Path:
        with self._counter_lock:
            self._counter += 1
            n = self._counter
        return self.out_dir / f"{n:04d}-{req.lang}-{req.profile}.wav"

    def _speak(self, req: _Request) -> SpokenItem:
        syn = self._synth.synthesize(req.text, self.settings.voices[req.lang], self.settings.profiles[req.profile])
        path = self._next_path(req)
        tmp = path.with_suffix(".wav.part")
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(syn.sample_rate)
            w.writeframes(syn.pcm.tobytes())
        os.replace(tmp, path)
        return SpokenItem(req.text, req.lang, req.profile, path=path, duration_s=syn.duration_s)
