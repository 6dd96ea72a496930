"""Endpointer: cuts a 16 kHz mono int16 stream into utterances.

Two frame classifiers, chosen by `EndpointerConfig.vad`:
* `silero` (default when installed): a trained VAD (assistant/audio/vad.py) gives each frame a
  speech probability, AND the frame must stand above the adaptive noise floor below. The model
  ignores clatter, music, knocks and breaths (which have energy); the floor keeps a room full of
  other talkers (babble, which the model rightly calls speech) from being taken for the user.
  Frames are speech from `vad_onset` (probability) and `vad_onset_db` (above the floor), and stay
  speech while above `vad_offset` / `vad_offset_db` (hysteresis). Measured on the fixture set in
  noise (bench/endpointer.py): see docs/harness.md.
* `energy`: the original level + pitch endpointer, described next (also the fallback when
  silero-vad or onnxruntime is missing).

How the energy endpointer decides, per 20 ms frame:
- frame level in dBFS, lightly smoothed;
- noise floor = a low percentile of the smoothed level over the last `floor_window_s` (a robust
  form of "minimum statistics"):
  it follows a fan or a room that gets louder within a couple of seconds, and speech pauses keep
  pulling it back down while someone talks;
- speech starts when `onset_frames` of the last 5 frames are `onset_db` above the floor (and above
  an absolute `min_level_dbfs`, so digital silence plus dither is never speech), and continues
  while frames stay `offset_db` above it (hysteresis);
- it ends after `trailing_silence_s` without speech frames.

A closed segment only becomes an utterance if it holds enough speech and enough *voiced* frames
(periodic, 50-400 Hz): broadband noise bursts, clicks and a door slam have energy but no pitch, so
they are discarded here instead of being forced onto a command by a grammar recogniser.

Pre-roll and post-roll: an utterance's audio starts `pre_roll_s` before the first speech frame
(onsets are soft, and the VAD reacts a window late) and ends at the endpoint decision, so the
recogniser also decodes the trailing silence after the last speech frame.

Pauses (when `pause_s` is set, e.g. 0.2 s; off by default): that long after the last speech frame, while the trailing silence is still being
waited for, a `SpeechPaused` event says that the utterance is, unless speech resumes, the audio
heard so far followed by `silence_to_close` samples that are not speech; a speech frame after it
gives `SpeechResumed`. Recognisers use it to start their final decoding 0.3 s before the
endpointer closes the utterance (assistant/asr/pipeline.py).

A segment that reaches `max_utterance_s` is cut and emitted with `truncated=True`; the endpointer
then ignores audio until the talker pauses, so a 60-second ramble gives one truncated utterance,
not six.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from .pcm import FRAME_SAMPLES, SAMPLE_RATE

FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
_ONSET_WINDOW = 5
_VAD_PRE_ROLL_EXTRA_S = 0.1
# Levels are measured above ~120 Hz: rumble, hum and brown noise live below, speech mostly above.
_HP: tuple[np.ndarray, np.ndarray] | None = None


def _highpass() -> tuple[np.ndarray, np.ndarray]:
    """120 Hz high-pass coefficients, designed on first use (scipy.signal is slow to import)."""
    global _HP
    if _HP is None:
        from scipy.signal import butter

        _HP = butter(2, 120, btype="highpass", fs=SAMPLE_RATE)
    return _HP


@dataclass(frozen=True)
class EndpointerConfig:
    trailing_silence_s: float = 0.5
    max_utterance_s: float = 10.0
    pre_roll_s: float = 0.3
    min_speech_s: float = 0.12
    min_voiced_s: float = 0.06
    onset_db: float = 9.0
    offset_db: float = 5.0
    min_level_dbfs: float = -55.0
    floor_window_s: float = 2.0
    initial_floor_dbfs: float = -60.0
    floor_percentile: float = 10.0
    onset_frames: int = 3
    voicing_threshold: float = 0.45
    vad: str = "silero"  # "silero" | "energy" (silero falls back to energy when not installed)
    # Silero mode. Tuned on the fixture set in noise (bench/endpointer.py): 0.5/0.3 and 6/3 dB
    # missed 9 of 336 short answers ("oui", "yeah" at 6 dB in babble or music) where these miss 2,
    # for a few more utterances made of clatter; no command split or cut at max length with either.
    vad_onset: float = 0.4  # speech probability that starts speech
    vad_offset: float = 0.25  # ... below which a frame is no longer speech
    vad_onset_db: float = 3.0  # level above the noise floor needed as well
    vad_offset_db: float = 1.5
    # A pause this long (s) after the last speech frame is announced (`SpeechPaused`) so that the
    # final decoding can start before the trailing silence has elapsed (0.2: 0.3 s sooner); 0: no
    # announcement, nor when it is not shorter than the trailing silence (config `asr.pause_s`).
    # With the announcement the constrained Whisper decodes the audio up to the pause and the
    # pre-roll's room sound in place of the 0.3 s not heard yet, with or without speculating. Off
    # by default: audited on the whole fixture set, that input accepts fewer held-out commands than
    # the audio as heard (docs/asr.md, "Exact speculation").
    pause_s: float = 0.0

    def __post_init__(self) -> None:
        checks = [
            (self.trailing_silence_s > 0, "trailing_silence_s > 0"),
            (self.max_utterance_s > self.trailing_silence_s, "max_utterance_s > trailing_silence_s"),
            (self.pre_roll_s >= 0, "pre_roll_s >= 0"),
            (self.offset_db <= self.onset_db, "offset_db <= onset_db"),
            (1 <= self.onset_frames <= _ONSET_WINDOW, f"1 <= onset_frames <= {_ONSET_WINDOW}"),
            (self.floor_window_s >= 0.2, "floor_window_s >= 0.2"),
            (self.vad in ("silero", "energy"), "vad is 'silero' or 'energy'"),
            (0.0 < self.vad_offset <= self.vad_onset < 1.0, "0 < vad_offset <= vad_onset < 1"),
            (self.vad_offset_db <= self.vad_onset_db, "vad_offset_db <= vad_onset_db"),
            (self.pause_s >= 0.0, "pause_s >= 0"),
        ]
        for ok, rule in checks:
            if not ok:
                raise ValueError(f"invalid endpointer setting: {rule} is required")

    @classmethod
    def from_asr_config(cls, asr: Any) -> "EndpointerConfig":
        """Build from `trading_core.config.AsrConfig` (trailing silence, max length, pre-roll, pause)."""
        vad = getattr(asr, "vad", "auto")
        return cls(
            trailing_silence_s=asr.trailing_silence_s,
            max_utterance_s=asr.max_utterance_s,
            pre_roll_s=asr.pre_roll_s,
            vad="silero" if vad in ("auto", "silero") else "energy",
            pause_s=getattr(asr, "pause_s", cls.pause_s),
        )


@dataclass(frozen=True)
class Utterance:
    """One endpointed utterance. Times are stream seconds since the endpointer was created/reset;
    `*_at` fields are `time.monotonic()` wall-clock stamps for latency measurements."""

    pcm: np.ndarray = field(repr=False)  # int16, 16 kHz mono: pre-roll + speech + trailing silence
    start_s: float  # first speech frame
    speech_end_s: float  # end of the last speech frame
    end_s: float  # end of the audio in `pcm` (endpoint decision)
    truncated: bool  # cut at max_utterance_s
    speech_s: float
    voiced_s: float
    noise_floor_dbfs: float
    speech_end_at: float
    closed_at: float
    vad_peak: float = 1.0  # highest speech probability of the trained VAD in the segment (1.0: energy mode)

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / SAMPLE_RATE


@dataclass(frozen=True)
class SpeechStarted:
    start_s: float


@dataclass(frozen=True)
class SpeechAudio:
    """Audio of the current segment, in order, for streaming recognisers (first one has the pre-roll)."""

    pcm: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class SpeechPaused:
    """`pause_s` without speech: unless speech resumes (`SpeechResumed`), the utterance is the audio
    streamed so far plus `silence_to_close` more samples (the rest of the trailing silence)."""

    at_s: float  # stream time of the pause's end (the audio streamed so far)
    silence_to_close: int  # samples still to come before the endpointer closes the utterance


@dataclass(frozen=True)
class SpeechResumed:
    """Speech again after a `SpeechPaused`: the utterance goes on."""

    at_s: float


@dataclass(frozen=True)
class UtteranceEnded:
    utterance: Utterance


@dataclass(frozen=True)
class SegmentDiscarded:
    """A segment closed but was not speech (too short or unvoiced); recognisers should reset."""

    start_s: float
    end_s: float
    reason: str  # "too_short" | "unvoiced"


VadEvent = SpeechStarted | SpeechAudio | SpeechPaused | SpeechResumed | UtteranceEnded | SegmentDiscarded


class _State(Enum):
    SILENCE = "silence"
    SPEECH = "speech"
    REFRACTORY = "refractory"  # after a truncation: wait for a pause


def _voicing(frame2: np.ndarray) -> float:
    """Peak normalised autocorrelation over pitch lags 50-400 Hz of a 40 ms window (0..1)."""
    x = frame2.astype(np.float64)
    x = np.append(x[0], x[1:] - 0.95 * x[:-1])  # pre-emphasis: whitens brown/pink noise
    x -= x.mean()
    n = len(x)
    spec = np.fft.rfft(x, 2 * n)
    r = np.fft.irfft(spec * np.conj(spec))[:n]
    if r[0] <= 1e-9:
        return 0.0
    lo, hi = SAMPLE_RATE // 400, min(SAMPLE_RATE // 50, n // 2)
    lags = np.arange(lo, hi)
    unbiased = r[lo:hi] * n / (n - lags)
    return float(np.clip(unbiased.max() / r[0], 0.0, 1.0))


class Endpointer:
    """Streaming endpointer. Feed int16 chunks of any size with `process()`; call `flush()` at the
    end of a stream. Or iterate `utterances(chunks)` when you only want whole utterances."""

    def __init__(self, config: EndpointerConfig | None = None, frame_vad: Any = None) -> None:
        """`frame_vad`: another frame classifier for comparisons (bench/endpointer.py): an object
        with `process(int16 frame) -> speech probability` and `reset()`, used as Silero is."""
        self.config = config or EndpointerConfig()
        c = self.config
        self._vad: Any = frame_vad
        if frame_vad is None and c.vad == "silero":
            from .vad import SileroVad, silero_available

            if silero_available():
                self._vad = SileroVad()
        self.vad_name = "energy" if self._vad is None else getattr(self._vad, "name", "silero")
        self._floor_len = max(1, round(c.floor_window_s / FRAME_S))
        # Silero decides on 32 ms windows and needs a window or two of speech to be sure: its onset
        # comes ~40 ms after the energy endpointer's, so its pre-roll is longer by 0.1 s (measured:
        # without it, PocketSphinx's first-utterance confidence on a clip fell from 0.52 to 0.46).
        extra = _VAD_PRE_ROLL_EXTRA_S if self._vad is not None else 0.0
        self._pre_roll_len = round((c.pre_roll_s + extra) / FRAME_S)
        self._trailing_len = max(1, round(c.trailing_silence_s / FRAME_S))
        pause = round(c.pause_s / FRAME_S)
        self._pause_len = pause if 0 < pause < self._trailing_len else 0
        self._max_len = max(self._trailing_len + 1, round(c.max_utterance_s / FRAME_S))
        self.reset()

    # ----------------------------------------------------------------- public API
    def reset(self) -> None:
        self._pending = np.zeros(0, dtype=np.int16)
        self._frame_index = 0
        self._prev_frame = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        self._smoothed: float | None = None
        from scipy.signal import lfilter_zi

        self._hp_state = lfilter_zi(*_highpass()) * 0.0
        self._levels: deque[float] = deque(maxlen=self._floor_len)
        self._recent_flags: deque[bool] = deque(maxlen=_ONSET_WINDOW)
        self._pre_roll: deque[np.ndarray] = deque(maxlen=max(self._pre_roll_len, _ONSET_WINDOW))
        self._state = _State.SILENCE
        self._segment: list[np.ndarray] = []
        self._seg_start_frame = 0
        self._speech_start_frame = 0
        self._last_speech_frame = 0
        self._last_speech_at = 0.0
        self._speech_frames = 0
        self._voiced_frames = 0
        self._silence_run = 0
        self._peak = 0.0
        if self._vad is not None:
            self._vad.reset()

    @property
    def in_speech(self) -> bool:
        return self._state is _State.SPEECH

    @property
    def noise_floor_dbfs(self) -> float:
        return self._floor()

    @property
    def stream_time_s(self) -> float:
        return self._frame_index * FRAME_S

    def process(self, chunk: np.ndarray) -> list[VadEvent]:
        """Consume int16 mono 16 kHz samples; return the events they caused, in order."""
        if chunk.dtype != np.int16:
            raise TypeError(f"Endpointer expects int16 PCM, got {chunk.dtype}")
        if chunk.ndim != 1:
            raise ValueError(f"Endpointer expects mono 1-D PCM, got shape {chunk.shape}")
        data = np.concatenate([self._pending, chunk]) if self._pending.size else chunk
        n_full = len(data) // FRAME_SAMPLES
        events: list[VadEvent] = []
        for i in range(n_full):
            events.extend(self._frame(data[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]))
        self._pending = data[n_full * FRAME_SAMPLES :].copy()
        return events

    def flush(self) -> list[VadEvent]:
        """End of stream: close an open segment as if the trailing silence had elapsed."""
        events: list[VadEvent] = []
        if self._pending.size:
            pad = np.zeros(FRAME_SAMPLES - self._pending.size, dtype=np.int16)
            events.extend(self.process(pad))
        if self._state is _State.SPEECH:
            events.extend(self._close(truncated=False))
        self._state = _State.SILENCE
        return events

    def utterances(self, chunks: Iterable[np.ndarray]) -> Iterator[Utterance]:
        for chunk in chunks:
            for ev in self.process(chunk):
                if isinstance(ev, UtteranceEnded):
                    yield ev.utterance
        for ev in self.flush():
            if isinstance(ev, UtteranceEnded):
                yield ev.utterance

    # ----------------------------------------------------------------- internals
    def _floor(self) -> float:
        if self._levels:
            # A low percentile rather than the minimum: the minimum of a fluctuating noise
            # (pink noise, a fan) sits several dB under its typical level, which made the noise
            # itself look like speech.
            floor = float(np.percentile(np.fromiter(self._levels, float), self.config.floor_percentile))
        else:
            floor = self.config.initial_floor_dbfs
        # Until a full window has been seen, the minimum may be the talker himself (a file that
        # starts with speech): cap it with a quiet-room prior.
        if len(self._levels) < self._floor_len:
            floor = min(floor, self.config.initial_floor_dbfs)
        return floor

    def _frame(self, frame: np.ndarray) -> list[VadEvent]:
        c = self.config
        from scipy.signal import lfilter

        x, self._hp_state = lfilter(*_highpass(), frame.astype(np.float64) / 32768.0, zi=self._hp_state)
        level = 10.0 * np.log10(float(np.mean(x * x)) + 1e-10)
        self._smoothed = level if self._smoothed is None else 0.5 * self._smoothed + 0.5 * level
        floor = self._floor()
        loud_enough = level > c.min_level_dbfs
        smoothed = self._smoothed
        prob = 1.0
        if self._vad is not None:
            prob = self._vad.process(frame)
            onset_flag = loud_enough and prob >= c.vad_onset and smoothed > floor + c.vad_onset_db
            speech_flag = loud_enough and prob >= c.vad_offset and smoothed > floor + c.vad_offset_db
            voiced = onset_flag
        else:
            onset_flag = loud_enough and smoothed > floor + c.onset_db
            speech_flag = loud_enough and smoothed > floor + c.offset_db
            voiced = None  # measured with the pitch check, only when needed
        self._levels.append(self._smoothed)
        self._recent_flags.append(onset_flag)
        window2 = np.concatenate([self._prev_frame, frame])
        self._prev_frame = frame
        idx = self._frame_index
        self._frame_index += 1
        now = time.monotonic()

        if self._state is _State.REFRACTORY:
            self._silence_run = 0 if speech_flag else self._silence_run + 1
            if self._silence_run >= self._trailing_len:
                self._state = _State.SILENCE
                self._recent_flags.clear()
            return []

        if self._state is _State.SILENCE:
            self._pre_roll.append(frame)
            if sum(self._recent_flags) < c.onset_frames:
                return []
            # Onset: the segment starts with the pre-roll (which holds the onset frames too).
            n_onset = len(self._recent_flags)
            keep = max(self._pre_roll_len, n_onset)
            pre = list(self._pre_roll)[-keep:]
            self._segment = pre
            self._seg_start_frame = idx + 1 - len(pre)
            first_flag = next(i for i, f in enumerate(self._recent_flags) if f)
            self._speech_start_frame = idx + 1 - n_onset + first_flag
            self._state = _State.SPEECH
            self._peak = prob
            self._speech_frames = sum(self._recent_flags)
            self._voiced_frames = 1 if self._is_voiced(voiced, window2) else 0
            self._last_speech_frame = idx
            self._last_speech_at = now
            self._silence_run = 0
            self._pre_roll.clear()
            return [
                SpeechStarted(start_s=self._speech_start_frame * FRAME_S),
                SpeechAudio(pcm=np.concatenate(pre)),
            ]

        # SPEECH
        self._segment.append(frame)
        events: list[VadEvent] = [SpeechAudio(pcm=frame)]
        if speech_flag:
            if self._pause_len and self._silence_run >= self._pause_len:
                events.append(SpeechResumed(at_s=self._frame_index * FRAME_S))
            self._peak = max(self._peak, prob)
            self._speech_frames += 1
            self._last_speech_frame = idx
            self._last_speech_at = now
            self._silence_run = 0
            if self._is_voiced(voiced, window2):
                self._voiced_frames += 1
        else:
            self._silence_run += 1
            if self._silence_run == self._pause_len:
                events.append(SpeechPaused(at_s=self._frame_index * FRAME_S,
                                           silence_to_close=(self._trailing_len - self._pause_len) * FRAME_SAMPLES))
        if self._silence_run >= self._trailing_len:
            events.extend(self._close(truncated=False))
        elif len(self._segment) >= self._max_len:
            events.extend(self._close(truncated=True))
        return events

    def _is_voiced(self, vad_says: bool | None, window2: np.ndarray) -> bool:
        """Silero's confident frames count as voiced; the energy endpointer checks for a pitch."""
        if vad_says is not None:
            return vad_says
        return _voicing(window2) >= self.config.voicing_threshold

    def _close(self, truncated: bool) -> list[VadEvent]:
        c = self.config
        start_s = self._speech_start_frame * FRAME_S
        end_s = (self._seg_start_frame + len(self._segment)) * FRAME_S
        speech_s = self._speech_frames * FRAME_S
        voiced_s = self._voiced_frames * FRAME_S
        pcm = np.concatenate(self._segment) if self._segment else np.zeros(0, np.int16)
        self._segment = []
        self._recent_flags.clear()
        self._state = _State.REFRACTORY if truncated else _State.SILENCE
        self._silence_run = 0
        if speech_s < c.min_speech_s:
            return [SegmentDiscarded(start_s, end_s, "too_short")]
        if voiced_s < c.min_voiced_s:
            return [SegmentDiscarded(start_s, end_s, "unvoiced")]
        utt = Utterance(
            pcm=pcm,
            start_s=start_s,
            speech_end_s=(self._last_speech_frame + 1) * FRAME_S,
            end_s=end_s,
            truncated=truncated,
            speech_s=speech_s,
            voiced_s=voiced_s,
            noise_floor_dbfs=self._floor(),
            speech_end_at=self._last_speech_at,
            closed_at=time.monotonic(),
            vad_peak=self._peak if self._vad is not None else 1.0,
        )
        return [UtteranceEnded(utt)]
