"""An autopilot proposal in the voice loop (real audio through PocketSphinx): read back with the urgent
voice between utterances, and the spoken "no" that follows answers it."""
from __future__ import annotations

from dataclasses import replace

from assistant.asr.pipeline import Listener
from assistant.audio import WavSource
from assistant.dialogue import Dialogue
from assistant.dialogue.autopilot import propose
from assistant.speech import WavSpeaker
from assistant.voice.front import endpointer_for
from assistant.voice.loop import AnswerOutput, VoiceLoop
from tests.autopilot.test_stats import signal
from tests.dialogue.test_voice_loop import recognizers, silence, speak, write_session  # noqa: F401 (fixtures)
from trading_core.autopilot.types import SignalDecision


class OneProposal:
    """A feed that has one proposal to say as soon as the loop starts (as AutopilotFeed does on an event)."""

    def __init__(self, sig) -> None:
        self.sig = sig

    def attach(self, put):
        put(lambda d: propose(d, self.sig))
        return self

    def detach(self) -> None:
        pass


async def test_a_proposal_is_spoken_urgently_and_a_spoken_no_declines_it(tmp_path, engine, parser, config,
                                                                        recognizers, speak):  # noqa: F811
    sig = replace(signal("AP-ES-1", 0, SignalDecision.PROPOSED), expires_ts=None)
    speaker = WavSpeaker(tmp_path / "spoken")
    dialogue = Dialogue(engine, parser, config=config, source="voice")
    wav = write_session(tmp_path / "no.wav", silence(1.0), speak("no"), silence(1.0))
    loop = VoiceLoop(dialogue, Listener(recognizers, endpointer_for(config)), AnswerOutput(speaker, echo=None),
                     clock="stream", feed=OneProposal(sig))
    result = await loop.run(WavSource(wav, trailing_silence_s=0.6))
    assert [r.kind for r in result.replies] == ["readback", "cancelled"]
    proposal, no = result.replies
    assert proposal.profile == "urgent" and proposal.pending.signal_id == "AP-ES-1"
    assert proposal.text.startswith("Autopilot signal: long 1 ES at 5,000.00, stop 4,996.00, target 5,008.00")
    assert no.text == "Cancelled: the autopilot's signal was not traded." and engine.ledger.orders(limit=None) == []
    assert speaker.flush(60)
    speaker.close()
    assert [f.name for f in sorted((tmp_path / "spoken").glob("*.wav"))] == ["0001-en-urgent.wav", "0002-en-calm.wav"]
