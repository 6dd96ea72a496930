"""`mia train` sub-command: argument parsing, a real run on synthetic and on real ES bars, errors."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from trading_core.intelligence.rl.checkpoints import read_metadata
from trading_core.intelligence.rl.cli import main, register, run_train

REAL_ES = Path(__file__).resolve().parents[3] / "shared/data/market/intraday/es_1m_2013-09-01_2013-09-03_from-mlfinpy-ticks.csv.gz"


def test_main_cli_calls_the_handler_with_its_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The lead's CLI loads the config (global --config / --data-dir) and calls func(args, config)."""
    from trading_core.config import load_config

    parser = argparse.ArgumentParser(prog="mia")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["train", "--data", str(tmp_path / "nope.csv"), "--no-progress"])
    config = load_config(env={}, overrides={"data_dir": str(tmp_path), "language": "fr"})
    assert args.func(args, config) == 2
    assert "fichier de données introuvable" in capsys.readouterr().err


def test_register_adds_train_with_its_options() -> None:
    parser = argparse.ArgumentParser(prog="mia")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["train", "--model-type", "qr_dqn", "--market", "MNQ", "--steps", "10", "--seed", "3"])
    assert (args.model_type, args.market, args.steps, args.seed, args.data) == ("qr_dqn", "MNQ", 10, 3, None)
    assert args.func is run_train
    defaults = parser.parse_args(["train"])
    assert defaults.model_type is None and defaults.seed == 42 and defaults.steps is None
    for bad in (["train", "--steps", "0"], ["train", "--model-type", "dqn"], ["train", "--market", "CL"]):
        with pytest.raises(SystemExit) as e:
            parser.parse_args(bad)
        assert e.value.code == 2


def test_train_on_synthetic_bars_writes_a_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    code = main(["--data-dir", str(tmp_path), "train", "--model-type", "ppo_cvar", "--market", "MNQ", "--steps", "300",
                 "--seed", "1", "--synthetic-bars", "3000", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    ckpt = tmp_path / "checkpoints" / "ppo_cvar" / "MNQ"
    meta = read_metadata(ckpt)
    assert meta["market"] == "MNQ" and meta["data"]["source"] == "synthetic" and meta["env"]["tick_value"] == 0.5
    assert str(ckpt) in out and "CVaR" in out and "buy and hold" in out


@pytest.mark.skipif(not REAL_ES.exists(), reason="shared ES data not present")
def test_train_on_a_real_es_file_in_french(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    cfg = tmp_path / "user.yaml"
    cfg.write_text("language: fr\n", encoding="utf-8")
    code = main(["--config", str(cfg), "--data-dir", str(tmp_path), "train", "--model-type", "ppo_cvar", "--market",
                 "ES", "--data", str(REAL_ES), "--steps", "300", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0, out
    meta = read_metadata(tmp_path / "checkpoints" / "ppo_cvar" / "ES")
    assert meta["data"]["source"] == "csv" and 2000 < meta["data"]["bars"] <= 2264 and len(meta["data"]["sha256"]) == 64
    assert "point de contrôle" in out and "achat-conservation" in out


def test_bad_data_file_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--data-dir", str(tmp_path), "train", "--data", str(tmp_path / "missing.csv"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "data file not found" in err
    short = tmp_path / "short.csv"
    short.write_text("ts_utc,open,high,low,close,volume\n2025-01-02T14:30:00Z,1,1,1,1,1\n", encoding="utf-8")
    code = main(["--data-dir", str(tmp_path), "train", "--data", str(short), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "too few" in err
    assert not (tmp_path / "checkpoints").exists()  # nothing half-written
