"""Torch building blocks shared by the learners. Importing this module imports torch: only the
training and inference paths import it, never the package `__init__`."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

# One intra-op thread: these 64-unit MLPs are too small to split, and on the shared 2-core machine two
# threads made a QR-DQN gradient step 4x to 80x slower (thread hand-off under contention); see
# bench/rl_training.py, which prints both settings. The second core stays free for the engine.
TRAIN_THREADS = 1


def seed_everything(seed: int, threads: int | None = TRAIN_THREADS) -> None:
    """Same seed -> same weights: fixed seed, deterministic kernels, fixed thread count (float sums are
    split per thread, so a different count can change the last bits)."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    if threads is not None:
        torch.set_num_threads(threads)


def mlp(in_dim: int, out_dim: int, hidden: int = 64, layers: int = 2, out_gain: float = 1.0,
        act: type[nn.Module] = nn.Tanh) -> nn.Sequential:
    """MLP with orthogonal init (the usual choice for PPO; harmless for the off-policy learners)."""
    mods: list[nn.Module] = []
    d = in_dim
    for _ in range(layers):
        lin = nn.Linear(d, hidden)
        nn.init.orthogonal_(lin.weight, gain=float(np.sqrt(2.0)))
        nn.init.zeros_(lin.bias)
        mods += [lin, act()]
        d = hidden
    out = nn.Linear(d, out_dim)
    nn.init.orthogonal_(out.weight, gain=out_gain)
    nn.init.zeros_(out.bias)
    mods.append(out)
    return nn.Sequential(*mods)


def as_tensor(x: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


def soft_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    with torch.no_grad():
        for t, s in zip(target.parameters(), source.parameters()):
            t.mul_(1.0 - tau).add_(s, alpha=tau)


def sign_distribution(target_probs: np.ndarray, max_position: int) -> np.ndarray:
    """(B, 2*max+1) probabilities over target positions -> (B, 3) over short / flat / long."""
    return np.column_stack(
        [
            target_probs[:, :max_position].sum(axis=1),
            target_probs[:, max_position],
            target_probs[:, max_position + 1:].sum(axis=1),
        ]
    )
