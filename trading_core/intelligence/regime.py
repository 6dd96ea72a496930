"""Market regime: a 3-state Gaussian hidden Markov model written in numpy.

Observations per bar (from `features.compute_features`, so they are causal): log realised volatility
(rv_30), Kaufman efficiency ratio (er_30) and the absolute 15-bar return in volatility units. They are
standardised with the training mean and deviation.

Inference. Emission log-densities are shifted per bar by their maximum before exponentiation (the shifts
are added back to the log-likelihood), so no density underflows. The forward recursion
alpha_t = alpha_{t-1} A diag(b_t) is a running product of 3x3 matrices; it is evaluated with a blocked
prefix scan (sequential products inside blocks of 64 matrices, all blocks at once, then each block's
running prefix applied to it; each partial product renormalised and its log scale accumulated) instead
of a T-step Python loop; short sequences use a Hillis-Steele scan (log2 T batched numpy matmuls). The backward pass is the same scan reversed.
This is numerically the scaled forward-backward algorithm, vectorised.

Training. Baum-Welch (EM) with full covariances plus a ridge, k-means++ initialisation, a few restarts, the
best log-likelihood kept. States are then named by their statistics: the highest-volatility state is
`defensive`; of the two others the one with the higher efficiency ratio is `trend`, the other `range`.

Live use. `RegimeDetector.update(observation)` performs one forward-filter step per bar (causal): the
posterior over states given the bars so far, which is the seeds' `hmm_state_distribution`.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trading_core.intelligence.types import REGIMES, IntelligenceInputError

OBS_COLUMNS: tuple[str, ...] = ("log_rv_30", "er_30", "abs_z_15")
_LOG_2PI = math.log(2.0 * math.pi)
FORMAT_VERSION = 2


TOD_BUCKETS = 48  # half hours of the New York day for the volatility seasonality profile


def tod_bucket(features: pd.DataFrame) -> np.ndarray:
    """Half-hour-of-day bucket (0..47, New York time) recovered from the tod_sin / tod_cos features."""
    ang = np.arctan2(features["tod_sin"].to_numpy(np.float64), features["tod_cos"].to_numpy(np.float64))
    minute = np.round(np.mod(ang, 2.0 * np.pi) * (1440.0 / (2.0 * np.pi))).astype(np.int64) % 1440
    return minute // (1440 // TOD_BUCKETS)


def regime_observations(features: pd.DataFrame) -> np.ndarray:
    """(T, 3) observation matrix; rows with NaN (warm-up) stay NaN and are treated as missing."""
    missing = [c for c in ("rv_30", "er_30", "ret_15", "tod_sin", "tod_cos") if c not in features.columns]
    if missing:
        raise IntelligenceInputError(f"features lack column(s) {missing} needed by the regime model",
                                     f"colonne(s) {missing} absente(s), nécessaire(s) au modèle de régime")
    rv = features["rv_30"].to_numpy(np.float64)
    er = features["er_30"].to_numpy(np.float64)
    r15 = features["ret_15"].to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rv = np.where(rv > 0, np.log(rv), np.nan)
        absz = np.where(rv > 0, np.abs(r15) / (rv * math.sqrt(15.0)), np.nan)
    return np.column_stack([log_rv, er, absz])


# ---------------------------------------------------------------- matrix prefix scans
_BLOCK = 64


def _prefix_products(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive left-to-right products P_t = m_0 @ ... @ m_t, each renormalised; returns (P, log scale).

    Blocked, O(T) work: products run sequentially inside blocks of _BLOCK matrices, all blocks at once;
    the blocks' own running product comes from the same scan one level up and is applied to every block
    (the Hillis-Steele scan below costs O(T log T) and was most of a long filter's time)."""
    t, k = m.shape[0], m.shape[1]
    if t <= _BLOCK:
        return _prefix_products_small(m)
    nb = -(-t // _BLOCK)
    pad = nb * _BLOCK - t
    if pad:  # identities after the end change nothing before it
        m = np.concatenate([m, np.broadcast_to(np.eye(k), (pad, k, k))])
    blocks = m.reshape(nb, _BLOCK, k, k)
    p = np.empty_like(blocks)
    log_scale = np.zeros((nb, _BLOCK))
    q = blocks[:, 0]
    norm = q.reshape(nb, -1).sum(axis=1)
    norm[norm <= 0] = 1e-300
    p[:, 0] = q / norm[:, None, None]
    log_scale[:, 0] = np.log(norm)
    for j in range(1, _BLOCK):
        q = np.matmul(p[:, j - 1], blocks[:, j])
        norm = q.reshape(nb, -1).sum(axis=1)
        norm[norm <= 0] = 1e-300
        p[:, j] = q / norm[:, None, None]
        log_scale[:, j] = log_scale[:, j - 1] + np.log(norm)
    carry, carry_log = _prefix_products(p[:, -1].copy())
    carry_log = carry_log + np.cumsum(log_scale[:, -1])  # totals were renormalised: add their scales back
    q = np.matmul(carry[:-1, None], p[1:])  # block b is preceded by blocks 0..b-1
    norm = q.reshape(nb - 1, _BLOCK, -1).sum(axis=2)
    norm[norm <= 0] = 1e-300
    p[1:] = q / norm[:, :, None, None]
    log_scale[1:] += carry_log[:-1, None] + np.log(norm)
    return p.reshape(-1, k, k)[:t], log_scale.reshape(-1)[:t]


def _prefix_products_small(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hillis-Steele scan (log2 T batched products), for short sequences."""
    p = m.copy()
    t = p.shape[0]
    log_scale = np.zeros(t)
    s = 1
    while s < t:
        q = np.matmul(p[:-s], p[s:])
        norm = q.reshape(q.shape[0], -1).sum(axis=1)
        norm[norm <= 0] = 1e-300
        q /= norm[:, None, None]
        p[s:] = q
        log_scale[s:] = log_scale[:-s] + log_scale[s:] + np.log(norm)
        s *= 2
    return p, log_scale


def _suffix_products(m: np.ndarray) -> np.ndarray:
    """Inclusive right-to-left products R_t = m_t @ ... @ m_{T-1}, each renormalised."""
    r = m.copy()
    t = r.shape[0]
    s = 1
    while s < t:
        q = np.matmul(r[:-s], r[s:])
        norm = q.reshape(q.shape[0], -1).sum(axis=1)
        norm[norm <= 0] = 1e-300
        q /= norm[:, None, None]
        r[:-s] = q
        s *= 2
    return r


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    s = x.sum(axis=-1, keepdims=True)
    s[s <= 0] = 1.0
    return x / s


# ---------------------------------------------------------------- the HMM
@dataclass
class GaussianHMM:
    n_states: int = 3
    n_iter: int = 40
    tol: float = 1e-4  # stop when the log-likelihood per observation improves less than this
    reg_covar: float = 1e-3
    n_init: int = 2
    seed: int = 0
    startprob: np.ndarray = field(default_factory=lambda: np.empty(0))
    transmat: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    means: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    covars: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 0)))
    loglik_history: list[float] = field(default_factory=list)

    @property
    def fitted(self) -> bool:
        return self.means.shape[0] == self.n_states

    # emissions
    def _whiteners(self) -> tuple[np.ndarray, np.ndarray]:
        """(L^-1 per state, log det covariance per state), cached until the covariances change: the online
        step would otherwise pay a LAPACK call per state per bar."""
        key = self.covars.tobytes()
        cached = getattr(self, "_whiten_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        chols = np.linalg.cholesky(self.covars)
        logdet = 2.0 * np.log(np.diagonal(chols, axis1=1, axis2=2)).sum(axis=1)
        inv_l = np.linalg.inv(chols)  # 3x3 lower-triangular factors: a direct inverse is exact enough
        self._whiten_cache = (key, inv_l, logdet)
        return inv_l, logdet

    def log_emissions(self, x: np.ndarray) -> np.ndarray:
        """(T, K) Gaussian log-densities; rows with NaN give 0 for every state (a missing observation)."""
        t, d = x.shape
        ok = np.isfinite(x).all(axis=1)
        out = np.zeros((t, self.n_states))
        if not ok.any():
            return out
        xo = x[ok]
        inv_l, logdet = self._whiteners()
        for k in range(self.n_states):
            # whitened residuals L^-1 (x - mu); einsum, not `@`: a BLAS call on an (N, 3) x (3, 3) product
            # spends ~10x longer on threading than on arithmetic
            z = np.einsum("ij,kj->ik", xo - self.means[k], inv_l[k])
            out[ok, k] = -0.5 * (d * _LOG_2PI + logdet[k] + np.einsum("ij,ij->i", z, z))
        return out

    # inference
    def _forward(self, log_b: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        t = log_b.shape[0]
        shift = log_b.max(axis=1)
        b = np.exp(log_b - shift[:, None])
        alpha0 = self.startprob * b[0]
        s0 = alpha0.sum()
        alpha0 = alpha0 / s0
        alpha = np.empty((t, self.n_states))
        alpha[0] = alpha0
        loglik = math.log(s0) + float(shift[0])
        if t > 1:
            m = self.transmat[None, :, :] * b[1:, None, :]
            p, log_scale = _prefix_products(m)
            un = np.einsum("i,tij->tj", alpha0, p)
            tot = un.sum(axis=1)
            alpha[1:] = un / tot[:, None]
            loglik += float(log_scale[-1] + math.log(tot[-1]) + shift[1:].sum())
        return alpha, loglik, b

    def filter(self, x: np.ndarray) -> np.ndarray:
        """Forward-filtered state probabilities P(state_t | x_0..x_t): causal."""
        alpha, _, _ = self._forward(self.log_emissions(x))
        return alpha

    def score(self, x: np.ndarray) -> float:
        return self._forward(self.log_emissions(x))[1]

    def _e_step(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        alpha, loglik, b = self._forward(self.log_emissions(x))
        t = x.shape[0]
        beta = np.ones((t, self.n_states))
        if t > 1:
            m = self.transmat[None, :, :] * b[1:, None, :]
            r = _suffix_products(m)  # r[i] = m_{i+1} ... m_{T-1} in bar indices
            beta[:-1] = _normalise_rows(r.sum(axis=2))
        gamma = _normalise_rows(alpha * beta)
        xi_sum = np.zeros((self.n_states, self.n_states))
        if t > 1:
            xi = alpha[:-1, :, None] * self.transmat[None, :, :] * (b[1:] * beta[1:])[:, None, :]
            tot = xi.sum(axis=(1, 2))
            tot[tot <= 0] = 1.0
            xi_sum = (xi / tot[:, None, None]).sum(axis=0)
        return gamma, xi_sum, loglik

    def posterior(self, x: np.ndarray) -> np.ndarray:
        """Smoothed P(state_t | all x): uses the future, for offline analysis only."""
        return self._e_step(x)[0]

    def first(self, x_row: np.ndarray) -> np.ndarray:
        """P(state_0 | x_0): the start distribution updated by the first observation (as `filter` does)."""
        if not np.isfinite(x_row).all():
            return self.startprob / self.startprob.sum()
        lb = self.log_emissions(x_row[None, :])[0]
        post = self.startprob * np.exp(lb - lb.max())
        return post / post.sum()

    def step(self, prev: np.ndarray, x_row: np.ndarray) -> np.ndarray:
        """One forward-filter step: P(state_t | x_0..x_t) from P(state_{t-1} | ...) and x_t."""
        pred = prev @ self.transmat
        if not np.isfinite(x_row).all():
            return pred / pred.sum()
        lb = self.log_emissions(x_row[None, :])[0]
        post = pred * np.exp(lb - lb.max())
        s = post.sum()
        return post / s if s > 0 else pred / pred.sum()

    # training
    def _init_params(self, x: np.ndarray, rng: np.random.Generator) -> None:
        k, (n, d) = self.n_states, x.shape
        sample = x[rng.choice(n, size=min(n, 5000), replace=False)]
        centres = [sample[rng.integers(sample.shape[0])]]
        for _ in range(1, k):  # k-means++ seeding
            d2 = np.min(((sample[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
            centres.append(sample[rng.choice(sample.shape[0], p=d2 / d2.sum())])
        c = np.array(centres)
        for _ in range(25):
            lab = np.argmin(((sample[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
            c = np.array([sample[lab == j].mean(0) if (lab == j).any() else c[j] for j in range(k)])
        lab = np.argmin(((sample[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        self.means = c
        glob = np.cov(sample.T) + self.reg_covar * np.eye(d)
        self.covars = np.array([
            np.cov(sample[lab == j].T) + self.reg_covar * np.eye(d) if (lab == j).sum() > d + 1 else glob
            for j in range(k)
        ])
        self.transmat = np.full((k, k), 0.05 / (k - 1))
        np.fill_diagonal(self.transmat, 0.95)
        self.startprob = np.full(k, 1.0 / k)

    def _m_step(self, x: np.ndarray, gamma: np.ndarray, xi_sum: np.ndarray) -> None:
        d = x.shape[1]
        w = gamma.sum(axis=0) + 1e-10
        self.means = (gamma.T @ x) / w[:, None]
        covs = []
        for k in range(self.n_states):
            diff = x - self.means[k]
            covs.append((gamma[:, k, None] * diff).T @ diff / w[k] + self.reg_covar * np.eye(d))
        self.covars = np.array(covs)
        self.transmat = _normalise_rows(xi_sum + 1e-6)
        self.startprob = _normalise_rows((gamma[0] + 1e-3)[None, :])[0]

    def fit(self, x: np.ndarray, init: dict[str, np.ndarray] | None = None) -> "GaussianHMM":
        """Baum-Welch. `init` (startprob, transmat, means, covars) warm-starts a single run instead of the
        k-means++ restarts: refitting on a slightly longer history then takes a few iterations."""
        x = x[np.isfinite(x).all(axis=1)]
        if x.shape[0] < 10 * self.n_states * (x.shape[1] + 1):
            raise IntelligenceInputError(
                f"not enough observations to fit the regime model ({x.shape[0]} usable rows)",
                f"pas assez d'observations pour ajuster le modèle de régime ({x.shape[0]} lignes utilisables)")
        best: tuple[float, dict[str, Any]] | None = None
        for attempt in range(1 if init is not None else self.n_init):
            if init is not None:
                self.startprob, self.transmat = init["startprob"].copy(), init["transmat"].copy()
                self.means, self.covars = init["means"].copy(), init["covars"].copy()
            else:
                self._init_params(x, np.random.default_rng(self.seed + attempt))
            history: list[float] = []
            for _ in range(self.n_iter):
                gamma, xi_sum, ll = self._e_step(x)
                history.append(ll)
                if len(history) > 1 and (history[-1] - history[-2]) < self.tol * x.shape[0]:
                    break
                self._m_step(x, gamma, xi_sum)
            final = self.score(x)
            history.append(final)
            if best is None or final > best[0]:
                best = (final, {"startprob": self.startprob.copy(), "transmat": self.transmat.copy(),
                                "means": self.means.copy(), "covars": self.covars.copy(), "hist": history})
        assert best is not None
        p = best[1]
        self.startprob, self.transmat, self.means, self.covars = p["startprob"], p["transmat"], p["means"], p["covars"]
        self.loglik_history = [float(v) for v in p["hist"]]
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_states": self.n_states, "startprob": self.startprob.tolist(), "transmat": self.transmat.tolist(),
            "means": self.means.tolist(), "covars": self.covars.tolist(), "loglik_history": self.loglik_history,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "GaussianHMM":
        hmm = cls(n_states=int(d["n_states"]))
        hmm.startprob = np.asarray(d["startprob"], dtype=np.float64)
        hmm.transmat = np.asarray(d["transmat"], dtype=np.float64)
        hmm.means = np.asarray(d["means"], dtype=np.float64)
        hmm.covars = np.asarray(d["covars"], dtype=np.float64)
        hmm.loglik_history = list(d.get("loglik_history", []))
        return hmm


# ---------------------------------------------------------------- regimes on top of the HMM
@dataclass
class RegimeDetector:
    """HMM over standardised observations, with states named trend / range / defensive."""

    max_fit_bars: int = 20_000  # the most recent bars used to fit (EM cost is linear in this)
    seed: int = 0
    n_iter: int = 40
    hmm: GaussianHMM = field(default_factory=GaussianHMM)
    obs_mean: np.ndarray = field(default_factory=lambda: np.zeros(len(OBS_COLUMNS)))
    obs_std: np.ndarray = field(default_factory=lambda: np.ones(len(OBS_COLUMNS)))
    # median log rv_30 per half hour of the day minus the overall median, learnt at fit time: intraday
    # volatility seasonality (quiet nights, busy opens) would otherwise be mistaken for regimes
    tod_profile: np.ndarray = field(default_factory=lambda: np.zeros(TOD_BUCKETS))
    state_labels: list[str] = field(default_factory=list)  # state index -> regime name
    state_stats: dict[str, dict[str, float]] = field(default_factory=dict)
    trained_on: str = ""

    @property
    def fitted(self) -> bool:
        return self.hmm.fitted and len(self.state_labels) == self.hmm.n_states

    def _standardise(self, obs: np.ndarray) -> np.ndarray:
        return (obs - self.obs_mean) / self.obs_std

    def observations(self, features: pd.DataFrame) -> np.ndarray:
        """Raw observations with the time-of-day volatility profile removed (causal: fixed profile)."""
        obs = regime_observations(features)
        obs[:, 0] -= self.tod_profile[tod_bucket(features)]
        return obs

    def _fit_profile(self, features: pd.DataFrame) -> None:
        log_rv = regime_observations(features)[:, 0]
        bucket = tod_bucket(features)
        ok = np.isfinite(log_rv)
        overall = float(np.median(log_rv[ok]))
        # With few days a half hour's median is dominated by whatever regime happened then; shrink the
        # profile towards 0 by days / (days + 5) so short histories are only partly adjusted.
        days = len(np.unique(features.index[ok].normalize())) if isinstance(features.index, pd.DatetimeIndex) \
            else int(ok.sum()) // 1380
        shrink = days / (days + 5.0)
        prof = np.zeros(TOD_BUCKETS)
        for b in range(TOD_BUCKETS):
            vals = log_rv[ok & (bucket == b)]
            if vals.size >= 30:  # too few bars in a half hour (e.g. the daily break): no adjustment
                prof[b] = shrink * (float(np.median(vals)) - overall)
        self.tod_profile = prof

    def fit(
        self, features: pd.DataFrame, source: str = "", warm_start: "RegimeDetector | None" = None
    ) -> "RegimeDetector":
        """Fit on the last `max_fit_bars` bars. `warm_start`, a fitted detector (e.g. the previous
        walk-forward fold), seeds EM with its parameters mapped into this fit's standardisation."""
        recent = features.iloc[-self.max_fit_bars:]
        self._fit_profile(recent)
        obs = self.observations(recent)
        ok = np.isfinite(obs).all(axis=1)
        if ok.sum() < 300:
            raise IntelligenceInputError(
                f"the regime model needs at least 300 bars after warm-up, got {int(ok.sum())}",
                f"le modèle de régime demande au moins 300 barres après la période d'initialisation, "
                f"reçu {int(ok.sum())}")
        self.obs_mean = obs[ok].mean(axis=0)
        self.obs_std = obs[ok].std(axis=0)
        self.obs_std[self.obs_std <= 0] = 1.0
        self.hmm = GaussianHMM(n_states=3, n_iter=self.n_iter, seed=self.seed)
        init = None
        if warm_start is not None and warm_start.fitted:
            ratio = warm_start.obs_std / self.obs_std
            prev = warm_start.hmm
            init = {
                "startprob": prev.startprob,
                "transmat": prev.transmat,
                "means": (prev.means * warm_start.obs_std + warm_start.obs_mean - self.obs_mean) / self.obs_std,
                "covars": prev.covars * ratio[None, :, None] * ratio[None, None, :],
            }
        self.hmm.fit(self._standardise(obs), init=init)
        raw_means = self.hmm.means * self.obs_std + self.obs_mean  # back in observation units
        defensive = int(np.argmax(raw_means[:, 0]))
        rest = [k for k in range(3) if k != defensive]
        trend = max(rest, key=lambda k: raw_means[k, 1])
        labels = [""] * 3
        labels[defensive], labels[trend] = "defensive", "trend"
        labels[next(k for k in rest if k != trend)] = "range"
        self.state_labels = labels
        occupancy = self.hmm.filter(self._standardise(obs))[ok].mean(axis=0)
        self.state_stats = {
            labels[k]: {
                "rv_30_hour_adjusted": float(math.exp(raw_means[k, 0])),  # rv_30 at a typical hour
                "er_30": float(raw_means[k, 1]),
                "abs_z_15": float(raw_means[k, 2]),
                "stay_probability": float(self.hmm.transmat[k, k]),
                "occupancy": float(occupancy[k]),
            }
            for k in range(3)
        }
        self.trained_on = source
        return self

    def _require(self) -> None:
        if not self.fitted:
            raise IntelligenceInputError("the regime model is not trained", "le modèle de régime n'est pas entraîné")

    def _order(self) -> list[int]:
        """State indices in REGIMES order (trend, range, defensive)."""
        return [self.state_labels.index(r) for r in REGIMES]

    def filter(self, features: pd.DataFrame) -> pd.DataFrame:
        """Causal regime probabilities for every bar: columns p_trend, p_range, p_defensive, regime."""
        self._require()
        probs = self.hmm.filter(self._standardise(self.observations(features)))[:, self._order()]
        out = pd.DataFrame(probs, index=features.index, columns=[f"p_{r}" for r in REGIMES])
        out["regime"] = np.asarray(REGIMES, dtype=object)[probs.argmax(axis=1)]
        return out

    def initial_distribution(self) -> np.ndarray:
        self._require()
        return self.hmm.startprob.copy()

    def update(self, prev: np.ndarray | None, observation: np.ndarray) -> np.ndarray:
        """One online forward-filter step in HMM state order; `prev` None means this is the first bar."""
        self._require()
        x = self._standardise(np.asarray(observation, dtype=np.float64))
        return self.hmm.first(x) if prev is None else self.hmm.step(prev, x)

    def distribution(self, state_probs: np.ndarray) -> dict[str, float]:
        return {self.state_labels[k]: float(state_probs[k]) for k in self._order()}

    # persistence
    def to_dict(self) -> dict[str, Any]:
        self._require()
        return {
            "format_version": FORMAT_VERSION, "observations": list(OBS_COLUMNS), "hmm": self.hmm.to_dict(),
            "obs_mean": self.obs_mean.tolist(), "obs_std": self.obs_std.tolist(),
            "tod_profile": self.tod_profile.tolist(),
            "state_labels": self.state_labels, "state_stats": self.state_stats, "trained_on": self.trained_on,
            "max_fit_bars": self.max_fit_bars, "seed": self.seed,
        }

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "hmm.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")
        tmp.replace(path)  # atomic: a crash never leaves a half-written checkpoint
        return path

    @classmethod
    def load(cls, directory: Path) -> "RegimeDetector":
        path = directory / "hmm.json"
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            if d.get("format_version") != FORMAT_VERSION or list(d["observations"]) != list(OBS_COLUMNS):
                raise ValueError("incompatible format")
            det = cls(max_fit_bars=int(d.get("max_fit_bars", 20_000)), seed=int(d.get("seed", 0)))
            det.hmm = GaussianHMM.from_dict(d["hmm"])
            det.obs_mean = np.asarray(d["obs_mean"], dtype=np.float64)
            det.obs_std = np.asarray(d["obs_std"], dtype=np.float64)
            det.tod_profile = np.asarray(d["tod_profile"], dtype=np.float64)
            if det.tod_profile.shape != (TOD_BUCKETS,):
                raise ValueError("bad tod_profile")
            det.state_labels = list(d["state_labels"])
            det.state_stats = d.get("state_stats", {})
            det.trained_on = d.get("trained_on", "")
        except FileNotFoundError:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise IntelligenceInputError(f"regime checkpoint {path} is unreadable ({exc})",
                                         f"le point de sauvegarde du régime {path} est illisible ({exc})") from None
        if sorted(det.state_labels) != sorted(REGIMES):
            raise IntelligenceInputError(f"regime checkpoint {path} has bad state labels {det.state_labels}",
                                         f"le point de sauvegarde {path} a des étiquettes d'état invalides")
        return det
