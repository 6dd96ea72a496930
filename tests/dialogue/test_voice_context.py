"""The voice front tells the recognisers what the dialogue waits for (issue #12, reply contexts):
after a read-back the context is "confirmation", after "How many contracts?" "quantity", and it is
cleared once the question is answered. A scripted recogniser records the context it decoded each
utterance in; the audio is espeak-ng speech so that the real endpointer cuts the utterances."""
from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr.base import Partial, Recognizer, Transcript
from assistant.asr.context import ReplyContext, context_for
from assistant.asr.pipeline import Listener
from assistant.audio import Endpointer, EndpointerConfig, read_audio
from assistant.audio.pcm import iter_chunks
from assistant.dialogue import Dialogue
from assistant.voice.loop import AnswerOutput, VoiceLoop

RATE = 16000


class Scripted(Recognizer):
    """Returns the scripted texts in turn and records the context of each decoded utterance."""

    backend = "whisper-grammar"
    uses_context = True

    def __init__(self, texts: list[str]) -> None:
        super().__init__("en")
        self.texts = list(texts)
        self.decoded_in: list[ReplyContext | None] = []
        self.set_calls: list[ReplyContext | None] = []

    def set_context(self, context: ReplyContext | None) -> None:
        self.set_calls.append(context)
        super().set_context(context)

    def _start(self) -> None: ...

    def _feed(self, pcm: np.ndarray) -> Partial | None:
        return None

    def _reset(self) -> None: ...

    def _final(self) -> Transcript:
        self.decoded_in.append(self.context)
        text = self.texts.pop(0) if self.texts else ""
        return Transcript(text, 0.99 if text else 0.0, "en", self.backend, not text)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    path = Path(tmp_path_factory.mktemp("espeak")) / "word.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), "buy two e s"], check=True, capture_output=True,
                   timeout=60)
    return read_audio(path)


def gated_source(parts: list[np.ndarray], gate: threading.Event) -> Iterator[np.ndarray]:
    """The utterances in turn, each after the previous answer was delivered (`gate`): a person
    answers a read-back after hearing it, so the context is set before the answer is decoded."""
    for i, part in enumerate(parts):
        if i:
            assert gate.wait(30), "the previous answer never came"
            gate.clear()
        yield from iter_chunks(part)


async def run_session(dialogue: Dialogue, rec: Scripted, speech: np.ndarray, n: int) -> list[str]:
    gate = threading.Event()
    kinds: list[str] = []

    class Output(AnswerOutput):
        def deliver(self, reply: Any) -> None:
            super().deliver(reply)
            kinds.append(reply.kind)
            gate.set()

    silence = np.zeros(int(1.2 * RATE), np.int16)
    parts = [np.concatenate([silence[:RATE // 2], speech, silence]) for _ in range(n)]
    loop = VoiceLoop(dialogue, Listener({"en": rec}, Endpointer(EndpointerConfig())), Output(None, echo=None),
                     clock="stream")
    await loop.run(gated_source(parts, gate))
    return kinds


async def test_read_back_sets_the_confirmation_context_and_the_answer_clears_it(engine, parser, config, speech):
    rec = Scripted(["buy 2 es", "yes"])
    dialogue = Dialogue(engine, parser, config=config, source="voice")
    kinds = await run_session(dialogue, rec, speech, 2)
    assert kinds == ["readback", "executed"]
    assert rec.decoded_in == [None, ReplyContext("confirmation", "en")]
    assert rec.set_calls[-1] is None  # cleared once the order was confirmed
    assert dialogue.pending is None


async def test_a_follow_up_question_sets_the_quantity_context(engine, parser, config, speech):
    rec = Scripted(["buy es", "2", "no"])
    dialogue = Dialogue(engine, parser, config=config, source="voice")
    kinds = await run_session(dialogue, rec, speech, 3)
    assert kinds == ["question", "readback", "cancelled"]
    assert rec.decoded_in == [None, ReplyContext("quantity", "en"), ReplyContext("confirmation", "en")]
    assert rec.set_calls[-1] is None


def test_context_for_the_dialogue_state() -> None:
    class P:
        lang = "fr"

    class F:
        lang = "en"
        missing: tuple[str, ...] = ("symbol", "quantity")

    assert context_for(None, None) is None
    assert context_for(P(), None) == ReplyContext("confirmation", "fr")
    assert context_for(P(), F()) == ReplyContext("confirmation", "fr")  # a read-back wins
    assert context_for(None, F()) == ReplyContext("market", "en")
    F.missing = ("risk_percent",)
    assert context_for(None, F()) is None  # no context for that question: nothing is narrowed
    with pytest.raises(ValueError):
        ReplyContext("colour")  # type: ignore[arg-type]


def test_backends_without_context_ignore_it() -> None:
    rec = Scripted([])
    Listener({"en": rec, "fr": rec}).set_context(ReplyContext("confirmation"))
    assert rec.set_calls == [ReplyContext("confirmation")]  # one recogniser serving two languages: told once
    from assistant.asr.base import Recognizer as Base

    assert Base.uses_context is False
