"""Speech out: WAV speaker completeness, profiles, pre-emption, no-sound behaviour."""
from __future__ import annotations

import logging
import subprocess
import wave
from pathlib import Path

import pytest

from assistant.speech import (
    NO_OUTPUT_WARNING,
    NullSpeaker,
    Pyttsx3Speaker,
    SpeechError,
    SpeechSettings,
    VoiceProfile,
    WavSpeaker,
    make_speaker,
    resolve_output_device,
)

from .conftest import requires_espeak

pytestmark = requires_espeak

TEXT_EN = "Long two contracts E S at market, estimated risk two hundred fifty dollars. Do you confirm?"
TEXT_FR = "Long deux contrats E S au marché, risque estimé deux cent cinquante dollars. Confirmez-vous ?"


def _wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def _cli_duration(tmp_path: Path, text: str, voice: str, rate: int) -> float:
    out = tmp_path / f"cli-{voice}-{rate}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(out), text], check=True, timeout=30)
    return _wav_duration(out)


@pytest.fixture()
def wav_speaker(tmp_path: Path):
    sp = WavSpeaker(tmp_path / "out")
    yield sp
    sp.close()


def test_wav_file_is_complete_with_a_correct_header(wav_speaker: WavSpeaker, tmp_path: Path) -> None:
    wav_speaker.say(TEXT_EN, "en")
    wav_speaker.say(TEXT_FR, "fr")
    assert wav_speaker.flush(timeout=60)
    en, fr = wav_speaker.spoken
    for item, voice, text in ((en, "en-us", TEXT_EN), (fr, "fr", TEXT_FR)):
        assert item.path is not None and item.path.exists()
        raw = item.path.read_bytes()
        assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
        assert int.from_bytes(raw[4:8], "little") == len(raw) - 8
        assert raw[36:40] == b"data" and int.from_bytes(raw[40:44], "little") == len(raw) - 44
        with wave.open(str(item.path), "rb") as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        duration = _wav_duration(item.path)
        assert duration == pytest.approx(item.duration_s, abs=1e-3)
        # the whole sentence is there: same length as the espeak-ng command line at that rate
        assert duration == pytest.approx(_cli_duration(tmp_path, text, voice, 170), rel=0.03)
    assert en.path.name.endswith("-en-calm.wav") and fr.path.name.endswith("-fr-calm.wav")
    assert not list((tmp_path / "out").glob("*.part"))


def test_urgent_profile_is_faster_every_time(wav_speaker: WavSpeaker) -> None:
    # Alternating profiles: the rate must follow each utterance (setProperty alone lost it ~1 in 3).
    durations = {"calm": [], "urgent": []}
    for _ in range(3):
        for profile in ("calm", "urgent"):
            wav_speaker.say("Daily loss limit reached. Trading is halted.", "en", profile)
            assert wav_speaker.flush(timeout=60)
            item = wav_speaker.spoken[-1]
            assert item.profile == profile and item.path.name.endswith(f"-en-{profile}.wav")
            durations[profile].append(item.duration_s)
    assert max(durations["urgent"]) < 0.93 * min(durations["calm"]), durations  # 200 vs 170 words/min
    # the same text at the same rate gives the same audio length
    for values in durations.values():
        assert max(values) - min(values) < 0.02, durations
    assert wav_speaker.settings.profiles["urgent"].rate > wav_speaker.settings.profiles["calm"].rate


def test_control_characters_in_the_text_cannot_change_the_voice() -> None:
    from assistant.speech.base import VoiceProfile
    from assistant.speech.synth import _with_prosody

    text = _with_prosody("buy \x01450S two", VoiceProfile(170, 0.9, 50))
    assert text.startswith("\x01170S\x0190A\x0150P ") and text.count("\x01") == 3


def test_urgent_preempts_the_queue(wav_speaker: WavSpeaker) -> None:
    with wav_speaker.hold():
        wav_speaker.say("The market regime is trending.", "en")
        wav_speaker.say("Your positions: none.", "en")
        wav_speaker.say("Arrêt d'urgence : limite de perte atteinte.", "fr", "urgent")
    assert wav_speaker.flush(timeout=60)
    assert [i.text for i in wav_speaker.spoken] == ["Arrêt d'urgence : limite de perte atteinte."]
    assert [i.text for i in wav_speaker.dropped] == ["The market regime is trending.", "Your positions: none."]


def test_profiles_from_config() -> None:
    from trading_core.config import load_config

    cfg = load_config(env={}, overrides={"speech": {"urgent_rate": 230, "urgent_pitch": 70}})
    settings = SpeechSettings.from_config(cfg.speech)
    assert settings.profiles["urgent"] == VoiceProfile(230, 1.0, 70)
    assert settings.voices == {"en": "gmw/en-us", "fr": "roa/fr"}


def test_bad_requests_are_refused(wav_speaker: WavSpeaker) -> None:
    with pytest.raises(SpeechError, match="calm or urgent"):
        wav_speaker.say("hello", "en", "shouty")
    with pytest.raises(SpeechError, match="fr or en"):
        wav_speaker.say("hallo", "de")


def test_unknown_voice_is_refused_at_start(tmp_path: Path) -> None:
    settings = SpeechSettings(voices={"en": "gmw/en-us", "fr": "roa/xx-nope"},
                              profiles=SpeechSettings.default().profiles)
    with pytest.raises(SpeechError) as err:
        WavSpeaker(tmp_path, settings)
    assert "roa/xx-nope" in str(err.value) and "inconnue" in str(err.value)


def test_null_speaker_records() -> None:
    sp = NullSpeaker()
    sp.say("Bonjour", "fr")
    assert sp.flush(timeout=5)
    assert sp.spoken[0].text == "Bonjour" and not sp.spoken[0].played
    sp.close()


def test_disabled_speech_gives_null_speaker(tmp_path: Path) -> None:
    from trading_core.config import load_config

    cfg = load_config(env={}, overrides={"speech": {"enabled": False}})
    sp = make_speaker(cfg, kind="live")
    assert isinstance(sp, NullSpeaker)
    sp.close()
    wav = make_speaker(load_config(env={}), kind="wav", out_dir=tmp_path)
    assert isinstance(wav, WavSpeaker)
    wav.close()


def test_live_speaker_without_sound_device_warns_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    if resolve_output_device(None) is not None:
        pytest.skip("this machine has an audio output device")
    sp = Pyttsx3Speaker()
    with caplog.at_level(logging.WARNING):
        sp.say("hello", "en")
        sp.say("bonjour", "fr")
        assert sp.flush(timeout=30)
    assert [i.played for i in sp.spoken] == [False, False]
    assert all(i.duration_s > 0.2 for i in sp.spoken)  # synthesised all the same
    warnings = [r for r in caplog.records if NO_OUTPUT_WARNING in r.getMessage()]
    assert len(warnings) == 1  # said once, not per sentence
    sp.close()


def test_what_other_threads_print_while_speech_is_synthesised_is_not_lost(capsys: pytest.CaptureFixture[str]) -> None:
    """The dialogue prints its answers while the speaker's thread synthesises the previous one;
    silencing pyttsx3 used to swap sys.stdout for the whole process and swallowed them."""
    import threading
    import time

    from assistant.speech.synth import Pyttsx3Synth

    synth = Pyttsx3Synth.shared()
    profile = SpeechSettings.default().profiles["calm"]
    voice = SpeechSettings.default().voices["fr"]
    done = threading.Event()

    def speak() -> None:
        try:
            for _ in range(3):
                synth.synthesize(TEXT_FR, voice, profile)
        finally:
            done.set()

    worker = threading.Thread(target=speak)
    worker.start()
    printed = 0
    while not done.is_set():
        print(f"answer {printed}")
        printed += 1
        time.sleep(0.002)
    worker.join()
    out = capsys.readouterr().out.splitlines()
    assert printed > 10  # the prints overlapped the synthesis
    assert out == [f"answer {i}" for i in range(printed)]
