"""The endpointer alone on labelled audio, clean and in noise: does each command come back as exactly
one utterance, is every short answer heard, does noise alone make utterances?

The stream of each file is built exactly as `runner.run_file` builds it (noise lead-in, the same
mix at the same SNR and offset, the trailing silence), but no recogniser runs, so whole fixture sets
can be measured in minutes. Used by bench/endpointer.py and the endpointer tests.

Per file:
* `segments`: utterances whose speech frames meet the file's speech (first to last active frame);
* `spurious`: utterances that do not - made of noise or silence alone. Those that end inside the
  first `floor_window_s` of the stream are the energy endpointer settling on a noise it has just
  started hearing (live, the microphone has been open for a while) and are counted apart.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.audio import Endpointer, EndpointerConfig, WavSource, iter_chunks
from assistant.audio.pcm import SAMPLE_RATE

from .labels import Label
from .noise import mix_at_snr
from .runner import Condition, lead_in_s, speech_span


@dataclass(frozen=True)
class Segmentation:
    file: str
    condition: str  # "clean" or "<noise> @ <snr> dB"
    noise: str
    snr_db: float | None
    has_speech: bool
    command: bool  # labelled with an intent
    short: bool  # a short answer: a command of one or two words ("yes", "je confirme")
    segments: int
    spurious: int
    settling: int  # spurious utterances ended within the first floor window (not counted as spurious)
    truncated: int  # utterances on the speech cut at max_utterance_s (live: "too long", not decoded)
    frames: int
    cpu_s: float  # process time of the endpointer over the whole stream

    @property
    def missed(self) -> bool:
        return self.has_speech and self.segments == 0

    @property
    def split(self) -> bool:
        return self.command and self.segments > 1


def stream_for(path: Path, label: Label, condition: Condition, cfg: EndpointerConfig, *, seed: int = 0,
               reference_power: float | None = None) -> tuple[np.ndarray, float, tuple[float, float] | None]:
    """(int16 stream, lead-in seconds, speech span in stream seconds) as the harness runs the file."""
    source = WavSource(path, trailing_silence_s=cfg.trailing_silence_s + 0.1)
    pcm = source.pcm
    pad = int(source.trailing_silence_s * SAMPLE_RATE)
    span = speech_span(pcm[: len(pcm) - pad]) if label.text is not None or not label.is_rejection else None
    if condition.noise is None:
        return pcm, 0.0, span
    assert condition.snr_db is not None
    lead = lead_in_s(cfg)
    n_lead = int(lead * SAMPLE_RATE)
    stream = np.concatenate([np.zeros(n_lead, np.int16), pcm])
    mix = mix_at_snr(stream, (n_lead, len(stream) - pad), condition.noise, condition.snr_db, seed=seed,
                     utterance=label.file, reference_power=reference_power)
    return mix.pcm, lead, None if span is None else (span[0] + lead, span[1] + lead)


def segment(endpointer: Endpointer, stream: np.ndarray, span: tuple[float, float] | None
            ) -> tuple[int, int, int, int, int, float]:
    """(segments on the speech, spurious, settling, truncated, frames, cpu seconds) for one stream."""
    endpointer.reset()
    settle = endpointer.config.floor_window_s
    segments = spurious = settling = truncated = 0
    t0 = time.process_time()
    for utt in endpointer.utterances(iter_chunks(stream, 320)):
        if span is not None and utt.start_s < span[1] and utt.speech_end_s > span[0]:
            segments += 1
            truncated += utt.truncated
        elif utt.speech_end_s <= settle:
            settling += 1
        else:
            spurious += 1
    cpu = time.process_time() - t0
    return segments, spurious, settling, truncated, len(stream) // 320, cpu


def run_segmentation(endpointer: Endpointer, items: Iterable[tuple[Path, Label]], conditions: list[Condition], *,
                     seed: int = 0, reference_power: float | None = None) -> list[Segmentation]:
    out: list[Segmentation] = []
    cfg = endpointer.config
    for cond in conditions:
        for path, label in items:
            stream, _, span = stream_for(path, label, cond, cfg, seed=seed, reference_power=reference_power)
            segments, spurious, settling, truncated, frames, cpu = segment(endpointer, stream, span)
            words = len(label.text.split()) if label.text else 0  # short answers: "yes", "je confirme"
            out.append(Segmentation(label.file, cond.name, cond.noise_name, cond.snr_db, span is not None,
                                    not label.is_rejection, 0 < words <= 2 and not label.is_rejection,
                                    segments, spurious, settling, truncated, frames, cpu))
    return out


@dataclass(frozen=True)
class SegmentationSummary:
    files: int
    speech_files: int
    missed: int
    short_files: int
    missed_short: int
    command_files: int
    split: int
    spurious: int  # utterances of noise alone (after the settling window)
    spurious_files: int
    truncated: int
    frames: int
    cpu_s: float

    @property
    def cpu_us_per_frame(self) -> float:
        return 1e6 * self.cpu_s / self.frames if self.frames else 0.0


def summarise_segmentation(results: Iterable[Segmentation]) -> SegmentationSummary:
    rs = list(results)
    return SegmentationSummary(
        files=len(rs), speech_files=sum(r.has_speech for r in rs), missed=sum(r.missed for r in rs),
        short_files=sum(r.short for r in rs), missed_short=sum(r.short and r.missed for r in rs),
        command_files=sum(r.command for r in rs), split=sum(r.split for r in rs),
        spurious=sum(r.spurious for r in rs), spurious_files=sum(1 for r in rs if r.spurious),
        truncated=sum(r.truncated for r in rs), frames=sum(r.frames for r in rs), cpu_s=sum(r.cpu_s for r in rs),
    )
