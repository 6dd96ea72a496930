"""The voice loop on real audio: espeak-ng WAVs -> endpointer -> PocketSphinx (grammar compiled from
the project grammars) -> parser -> dialogue -> paper engine -> WavSpeaker.

The end-to-end test: a spoken "buy two e s" is read back, confirmed by a second utterance, reaches
the paper broker (a fill in the ledger) and produces spoken answer WAV files."""
from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from assistant.asr.pipeline import Listener
from assistant.audio import WavSource, read_audio
from assistant.dialogue import Dialogue
from assistant.speech import WavSpeaker
from assistant.voice.front import endpointer_for, prepare_recognizers
from assistant.voice.loop import AnswerOutput, VoiceLoop
from trading_core.types import OrderStatus, Side

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")

RATE = 16000
RAMBLE = (
    "Yesterday I walked along the river with my old friend, and we talked about the weather, the price of "
    "bread, the football results, a holiday by the sea, the garden that needs work, and the neighbours who "
    "are building a new house with a very large window facing the street. "
)


@pytest.fixture(scope="module")
def recognizers(tmp_path_factory):
    from trading_core.config import load_config

    config = load_config(env={}, overrides={"data_dir": str(tmp_path_factory.mktemp("asr"))})
    recs, report = prepare_recognizers(config, "en", ("en",), "pocketsphinx")
    assert "pocketsphinx" in report[0]
    return recs


@pytest.fixture(scope="module")
def speak(tmp_path_factory):
    cache = tmp_path_factory.mktemp("espeak")

    def _speak(text: str, voice: str = "en-us") -> np.ndarray:
        path = cache / f"{voice}-{abs(hash(text))}.wav"
        if not path.exists():
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True, timeout=60)
        return read_audio(path)

    return _speak


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.int16)


def write_session(path: Path, *parts: np.ndarray) -> Path:
    sf.write(str(path), np.concatenate(parts), RATE, subtype="PCM_16")
    return path


def run_loop(dialogue: Dialogue, recognizers, config, wav: Path, speaker=None, echo=None):
    loop = VoiceLoop(dialogue, Listener(recognizers, endpointer_for(config)), AnswerOutput(speaker, echo=echo),
                     clock="stream", say_when_nothing_heard=True)
    return loop.run(WavSource(wav, trailing_silence_s=0.6))


def wav_stats(path: Path) -> tuple[float, float]:
    """(duration s, RMS in dBFS) of a complete WAV; fails on a truncated or inconsistent file."""
    size = path.stat().st_size
    with wave.open(str(path), "rb") as w:
        frames = w.getnframes()
        assert size - 44 == frames * w.getsampwidth() * w.getnchannels(), "header and data disagree"
        pcm = np.frombuffer(w.readframes(frames), np.int16).astype(np.float64)
        rate = w.getframerate()
    rms = np.sqrt(np.mean(pcm ** 2)) if len(pcm) else 0.0
    return frames / rate, 20 * np.log10(max(rms, 1e-9) / 32768)


async def test_end_to_end_spoken_order_confirmed_by_voice(tmp_path, engine, parser, config, recognizers, speak):
    # ("three": the robotic espeak-ng "two" is an unsure number word for PocketSphinx, refused since session 21)
    wav = write_session(tmp_path / "session.wav", silence(0.5), speak("buy three e s"), silence(1.5),
                        speak("yes"), silence(1.0))
    speaker = WavSpeaker(tmp_path / "spoken")
    heard: list[str] = []
    dialogue = Dialogue(engine, parser, config=config, source="voice")
    result = await run_loop(dialogue, recognizers, config, wav, speaker, heard.append)
    assert [r.kind for r in result.replies] == ["readback", "executed"], heard
    readback, done = result.replies
    assert readback.text == "Buy 3 ES at market, estimated risk $750.00. Do you confirm?"
    # the read-back above says what was understood; the transcripts are recorded with the replies
    assert readback.transcript and done.transcript
    assert done.text.startswith("Done: bought 3 ES at ")
    fills = engine.ledger.fills()
    assert [(f.symbol, f.side, f.quantity) for f in fills] == [("ES", Side.BUY, 3)]
    order = engine.ledger.get_order(fills[0].order_id)
    assert order.status is OrderStatus.FILLED and order.source == "voice"

    assert speaker.flush(60)
    speaker.close()
    files = sorted((tmp_path / "spoken").glob("*.wav"))
    assert [f.name for f in files] == ["0001-en-calm.wav", "0002-en-calm.wav"]
    for f, reply in zip(files, result.replies):
        duration, level = wav_stats(f)
        assert duration > 1.5 and level > -40, (f, duration, level)
    assert [s.text for s in speaker.spoken] == [r.speech for r in result.replies]
    assert "E S" in speaker.spoken[0].text  # the symbol is spelled for the synthesiser


async def test_spoken_cancel_and_stream_time_timeout(tmp_path, engine, parser, config, recognizers, speak):
    dialogue = Dialogue(engine, parser, config=config)
    wav = write_session(tmp_path / "cancel.wav", silence(0.4), speak("buy three e s"), silence(1.2),
                        speak("cancel the order"), silence(0.8))
    result = await run_loop(dialogue, recognizers, config, wav)
    assert [r.kind for r in result.replies] == ["readback", "cancelled"]
    # "yes" twelve seconds (of audio) after the read-back: the file is read in well under 12 s of wall
    # time, but the confirmation window follows the audio.
    wav = write_session(tmp_path / "late.wav", silence(0.4), speak("buy three e s"), silence(12.0),
                        speak("yes"), silence(0.8))
    result = await run_loop(dialogue, recognizers, config, wav)
    assert [r.kind for r in result.replies] == ["readback", "expired", "expired"]
    assert result.replies[1].text == "No confirmation within 10 seconds: the order was not sent."
    assert result.replies[2].text.startswith("Too late")
    assert engine.ledger.orders(limit=None) == []


@pytest.mark.parametrize("kind", ["silence", "noise"])
async def test_silence_and_noise_are_not_understood_and_do_nothing(tmp_path, engine, parser, config, recognizers, kind):
    rng = np.random.default_rng(7)
    if kind == "silence":
        audio = silence(3.0)
    else:
        white = rng.normal(0, 1, 3 * RATE)
        pink = np.cumsum(white) * 0.02 + white  # tilted spectrum, broadband, no pitch
        pink = pink - np.convolve(pink, np.ones(400) / 400, mode="same")
        audio = np.clip(pink / np.max(np.abs(pink)) * 8000, -32768, 32767).astype(np.int16)
        audio = np.concatenate([silence(1.0), audio, silence(1.0)])
    wav = write_session(tmp_path / f"{kind}.wav", audio)
    dialogue = Dialogue(engine, parser, config=config)
    result = await run_loop(dialogue, recognizers, config, wav)
    assert result.replies and all(r.kind == "not_understood" for r in result.replies)
    assert result.replies[-1].text == "I did not understand, can you repeat?"
    assert engine.ledger.orders(limit=None) == [] and dialogue.pending is None


async def test_a_sixty_second_ramble_is_not_understood(tmp_path, engine, parser, config, recognizers, speak):
    speech = speak(RAMBLE * 5)
    assert len(speech) / RATE > 60
    wav = write_session(tmp_path / "ramble.wav", silence(0.3), speech[: 60 * RATE], silence(0.5))
    dialogue = Dialogue(engine, parser, config=config)
    await dialogue.handle("buy two e s", 5.0)  # a pending order must not survive the ramble
    result = await run_loop(dialogue, recognizers, config, wav)
    assert result.replies
    assert all(r.kind == "not_understood" for r in result.replies), [(r.kind, r.transcript) for r in result.replies]
    assert result.replies[0].discarded is not None
    assert engine.ledger.orders(limit=None) == [] and dialogue.pending is None


async def test_spoken_follow_up_close_which_market_all_positions_yes(tmp_path, engine, parser, config, recognizers, speak):
    """ "close" -> "Which market, ES, MNQ or everything?" -> "all positions" -> read-back -> "yes": the
    question and its answer through the real recogniser, the command through read-back and
    confirmation."""
    from trading_core.types import OrderRequest

    await engine.place_order(OrderRequest("ES", Side.BUY, 1), wait_fill=2.0)
    wav = write_session(tmp_path / "followup.wav", silence(0.5), speak("close"), silence(1.5),
                        speak("all positions"), silence(1.5), speak("yes"), silence(1.0))
    heard: list[str] = []
    dialogue = Dialogue(engine, parser, config=config, source="voice")
    result = await run_loop(dialogue, recognizers, config, wav, echo=heard.append)
    assert [r.kind for r in result.replies] == ["question", "readback", "executed"], heard
    assert result.replies[0].text == "Close: which market, ES, MNQ or everything?"
    assert result.replies[1].text.startswith("Close all positions: long 1 ES.")
    assert [p for p in await engine.positions() if p.quantity] == []
