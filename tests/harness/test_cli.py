"""`mia harness` end to end: a non-trading grammar (home lights) scored with --grammar, the report
files, the --min-accept exit code, and clear errors (exit code 2) for bad input."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from assistant.harness import cli
from audio_fixtures import generate
from audio_fixtures.voices import Voice, synthesise

from .conftest import requires_espeak

LIGHTS = Path(__file__).resolve().parent / "grammars" / "lights.yaml"

# (file, sentence, voice, labelled intent, slots)
LIGHT_ITEMS = [
    ("l1.wav", "turn on the kitchen lights", "en-us", "switch_lights", {"state": "on", "room": "kitchen"}),
    ("l2.wav", "turn the bedroom light off", "en-us+f2", "switch_lights", {"room": "bedroom", "state": "off"}),
    ("l3.wav", "dim the living room lights to fifty percent", "en-gb-x-rp", "dim_lights",
     {"room": "living_room", "brightness": 50}),
    ("l4.wav", "make the bathroom lights blue", "en-us+m3", "set_colour", {"room": "bathroom", "colour": "blue"}),
    ("l5.wav", "switch off the lamps in the kitchen", "en-us", "switch_lights", {"state": "off", "room": "kitchen"}),
    ("l6.wav", "what time is the next train to london", "en-us+f2", None, {}),
]
LIGHTS_MIN = 0.80  # measured 6/6 clean with PocketSphinx; the 12 dB pink condition is reported, not gated


@pytest.fixture(scope="module")
def lights_audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lights utterances, synthesised like the fixtures (silence around, faint room tone)."""
    folder = tmp_path_factory.mktemp("lights")
    rng = np.random.default_rng(4)
    labels = {}
    for name, text, voice, intent, slots in LIGHT_ITEMS:
        pcm = synthesise(text, Voice(voice, "en", "espeak", voice, False), 88)
        generate.write_wav(folder / name, generate.frame_utterance(pcm, -3.0, rng))
        labels[name] = {"intent": intent, **({"slots": slots} if slots else {}), "text": text}
    (folder / "labels.json").write_text(json.dumps(labels, indent=1), encoding="utf-8")
    return folder


def harness(argv: list[str]) -> int:
    return cli.main([str(a) for a in argv])


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIA_CONFIG", raising=False)
    monkeypatch.setenv("MIA_LANGUAGE", "en")


@requires_espeak
@pytest.mark.audio
def test_non_trading_grammar_with_report_plot_and_exit_codes(lights_audio: Path, generated: Path, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    report, plot = tmp_path / "out" / "report.json", tmp_path / "out" / "acceptance.png"
    code = harness(["--audio", lights_audio, "--labels", lights_audio / "labels.json", "--grammar", LIGHTS,
                    "--lang", "en", "--backend", "pocketsphinx", "--noise", "pink",
                    "--snr", "12", "--report", report, "--plot", plot, "--min-accept", LIGHTS_MIN / 2,
                    "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "grammar: " + str(LIGHTS) in out and "switch_lights" in out
    data = json.loads(report.read_text(encoding="utf-8"))
    clean = data["summary"]["by_snr"]["clean"]
    assert clean["n"] == len(LIGHT_ITEMS) and clean["rate"] >= LIGHTS_MIN
    assert data["summary"]["by_noise"]["pink"]["n"] == len(LIGHT_ITEMS)
    assert set(data["summary"]["by_snr"]) == {"clean", "12 dB"}
    for item in data["items"]:
        if item["condition"]["snr_db"] == 12.0 and item["snr_measured_db"] is not None:
            assert abs(item["snr_measured_db"] - 12.0) < 0.5
    assert data["settings"]["backends"] == {"en": "pocketsphinx"}
    assert {i["file"] for i in data["items"]} == {name for name, *_ in LIGHT_ITEMS}
    assert all(i["language"] == "en" for i in data["items"])
    assert data["summary"]["by_intent"]["(reject)"]["rate"] == 1.0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # Labels that cannot match what is said: acceptance 0, below --min-accept -> exit code 1, and
    # every failure shows what was expected, what was understood and what was heard.
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"l1.wav": {"intent": "dim_lights", "slots": {"room": "kitchen", "brightness": 5}},
                                 "l4.wav": {"intent": "set_colour", "slots": {"room": "bathroom", "colour": "red"}}}))
    code = harness(["--audio", lights_audio, "--labels", wrong, "--grammar", LIGHTS, "--lang", "en",
                    "--backend", "pocketsphinx", "--min-accept", "0.5", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL: acceptance" in out
    assert "expected dim_lights(room=kitchen, brightness=5)" in out
    assert "l4.wav" in out and "expected set_colour(room=bathroom, colour=red)" in out
    assert 'heard    "' in out


@pytest.mark.parametrize("extra,message", [
    (["--snr", "9"], "--snr needs --noise"),
    (["--no-clean"], "--no-clean needs --noise"),
])
def test_option_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str) -> None:
    assert harness(["--audio", tmp_path, "--labels", tmp_path / "l.json", *extra]) == 2
    assert message in capsys.readouterr().err


def test_missing_labels_file_and_bad_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert harness(["--audio", tmp_path, "--labels", tmp_path / "missing.json"]) == 2
    assert "Labels file not found" in capsys.readouterr().err
    bad = tmp_path / "labels.json"
    bad.write_text('{"a.wav": {"intent": "halt",}}', encoding="utf-8")
    assert harness(["--audio", tmp_path, "--labels", bad]) == 2
    err = capsys.readouterr().err
    assert "is not valid JSON" in err and "line 1, column" in err


def test_french_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert harness(["--audio", tmp_path, "--labels", tmp_path / "manquant.json", "--lang", "fr"]) == 2
    assert "Fichier d'étiquettes introuvable" in capsys.readouterr().err


def test_missing_audio_and_bad_noise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"a.wav": {"intent": "halt"}}), encoding="utf-8")
    assert harness(["--audio", tmp_path, "--labels", labels]) == 2
    assert "1 labelled file(s) missing" in capsys.readouterr().err
    assert harness(["--audio", tmp_path / "nowhere", "--labels", labels]) == 2
    assert "Audio folder not found" in capsys.readouterr().err
    generate.write_wav(tmp_path / "a.wav", np.zeros(8000, np.float32))
    assert harness(["--audio", tmp_path, "--labels", labels, "--noise", tmp_path / "fan.wav"]) == 2
    assert "Unusable noise file" in capsys.readouterr().err


def test_bad_grammar_and_unavailable_backend(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"a.wav": {"intent": "halt"}}), encoding="utf-8")
    generate.write_wav(tmp_path / "a.wav", np.zeros(8000, np.float32))
    broken = tmp_path / "broken.yaml"
    broken.write_text("language: en\nintents:\n  greet: ['(hi|hello']\n", encoding="utf-8")
    assert harness(["--audio", tmp_path, "--labels", labels, "--grammar", broken]) == 2
    assert "grammar error" in capsys.readouterr().err
    monkeypatch.setenv("MIA_ASR__WHISPER_MODEL", str(tmp_path / "no-model"))
    assert harness(["--audio", tmp_path, "--labels", labels, "--backend", "whisper", "--lang", "fr"]) == 2
    assert "Whisper demandé pour FR mais modèle absent" in capsys.readouterr().err  # --lang fr: French


def test_register_adds_the_subcommand() -> None:
    parser = argparse.ArgumentParser(prog="mia")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["harness", "--audio", "d", "--labels", "l.json", "--noise", "n.wav",
                              "--snr", "24", "9", "--min-accept", "0.95", "--seed", "3"])
    assert args.func is cli.harness_command and args.snr == [24.0, 9.0] and args.min_accept == 0.95
    with pytest.raises(SystemExit):
        parser.parse_args(["harness", "--audio", "d", "--labels", "l.json", "--min-accept", "95"])


def test_grammar_without_the_requested_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"a.wav": {"intent": "switch_lights"}}), encoding="utf-8")
    generate.write_wav(tmp_path / "a.wav", np.zeros(8000, np.float32))
    assert harness(["--audio", tmp_path, "--labels", labels, "--grammar", LIGHTS, "--lang", "fr"]) == 2
    assert "ne couvre aucune des langues demandées (fr)" in capsys.readouterr().err


@requires_espeak
@pytest.mark.audio
def test_an_unreadable_file_is_a_failure_and_the_run_goes_on(lights_audio: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "audio"
    folder.mkdir()
    (folder / "good.wav").write_bytes((lights_audio / "l1.wav").read_bytes())
    (folder / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    labels = tmp_path / "labels_en.json"
    labels.write_text(json.dumps({"good.wav": {"intent": "switch_lights", "slots": {"state": "on", "room": "kitchen"}},
                                  "broken.wav": {"intent": "switch_lights"}}), encoding="utf-8")
    report = tmp_path / "r.json"
    code = harness(["--audio", folder, "--labels", labels, "--grammar", LIGHTS, "--backend", "pocketsphinx",
                    "--report", report, "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0
    assert "1 file(s) could not be read and count as failures: broken.wav" in captured.err
    items = {i["file"]: i for i in json.loads(report.read_text(encoding="utf-8"))["items"]}
    assert items["good.wav"]["accepted"]
    assert items["broken.wav"]["error"] == "unreadable" and "Unreadable audio file" in items["broken.wav"]["read_error"]
