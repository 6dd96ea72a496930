"""Validation of the ensemble weights (SAC, PPO, DDPG). numpy-free and torch-free."""
from __future__ import annotations

import math
from typing import Sequence

from trading_core.intelligence.rl.types import ENSEMBLE_MEMBERS, RLInputError

DEFAULT_WEIGHTS: tuple[float, float, float] = (0.4, 0.3, 0.3)  # the seed's SAC / PPO / DDPG weights


def normalise_weights(weights: Sequence[float]) -> tuple[float, ...]:
    """Three finite non-negative weights, not all zero -> the same weights scaled to sum to 1."""
    try:
        w = [float(x) for x in weights]
    except (TypeError, ValueError):
        raise RLInputError(
            f"ensemble weights must be numbers, got {weights!r}",
            f"les poids de l'ensemble doivent être des nombres, reçu {weights!r}",
        ) from None
    names = "/".join(m.upper() for m in ENSEMBLE_MEMBERS)
    if len(w) != len(ENSEMBLE_MEMBERS):
        raise RLInputError(
            f"ensemble weights need exactly {len(ENSEMBLE_MEMBERS)} values ({names}), got {len(w)}",
            f"les poids de l'ensemble doivent compter exactement {len(ENSEMBLE_MEMBERS)} valeurs ({names}), reçu {len(w)}",
        )
    if any(not math.isfinite(x) or x < 0 for x in w):
        raise RLInputError(
            f"ensemble weights must be finite and non-negative, got {w}",
            f"les poids de l'ensemble doivent être finis et positifs ou nuls, reçu {w}",
        )
    total = sum(w)
    if total <= 0:
        raise RLInputError(
            "ensemble weights cannot all be zero",
            "les poids de l'ensemble ne peuvent pas être tous nuls",
        )
    return tuple(x / total for x in w)
