"""Training defaults, importable without torch (the CLI shows them in its help)."""
from __future__ import annotations

# Environment steps per learner (the ensemble trains three learners, so 3x this many steps). Chosen to
# take a few minutes on 2 CPU cores; bench/rl_training.py prints the measured times.
DEFAULT_STEPS: dict[str, int] = {"ppo_cvar": 2_000_000, "qr_dqn": 250_000, "ensemble": 150_000}
DEFAULT_SEED = 42
DEFAULT_SYNTHETIC_BARS = 60_000
EVAL_FRACTION = 0.2  # last 20 % of the bars are held out for evaluation
CVAR_ALPHA = 0.1  # 10 % tail: 3+ tail episodes per 32-episode rollout; 5 % left too few to learn from
CVAR_LIMIT_FRACTION = 0.5  # CVaR limit = this x buy-and-hold CVaR over training windows
VERSION = "mia-rl-1"
