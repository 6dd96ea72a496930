"""Importing the RL package (and answering without a checkpoint) must not import torch."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_package_import_and_untrained_reports_do_not_import_torch(tmp_path: Path) -> None:
    code = f"""
import sys
import trading_core
import trading_core.intelligence.rl as rl
from trading_core.intelligence.rl import cli, checkpoints, env, observation, policy_eval, trade_outcome, weights
assert 'torch' not in sys.modules, 'package import pulled torch'
svc = rl.RLService(data_dir={str(tmp_path)!r})
reports = [svc.cvar_loss(), svc.qr_quantiles(), svc.ensemble_weights(), svc.trade_probability()]
assert all(not r.trained for r in reports)
import argparse
p = argparse.ArgumentParser(); cli.register(p.add_subparsers())
print('torch' in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
