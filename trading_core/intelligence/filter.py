"""MLEnsembleFilter (the seeds' filter): should this signal be traded?

Three classifiers learn P(trade wins after costs | signal features) from labelled signal outcomes
(triple-barrier labels, see labels.py): a RandomForest, an XGBoost booster (xgboost-cpu) and a
standardised LogisticRegression. The ensemble probability is their plain mean; a signal is approved when
it is >= the threshold (IntelligenceConfig.filter_threshold, seed default 0.6).

Explanations are TreeSHAP values of the XGBoost member from xgboost's own `pred_contribs=True`: per row,
one contribution per feature plus a bias, in log-odds; they sum exactly to the booster's margin. Global
importance is the mean |SHAP| over the training rows; `last_contributions` explains the last scored signal.

Evaluation is walk-forward with purging: a fold trains only on signals whose outcome was known before the
fold's first signal (t1 < test start - embargo) and tests on the following block, in time order.
Missing values are imputed with the training medians (the same matrix feeds all three models).
"""
from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trading_core.intelligence.types import FeatureImportance, IntelligenceInputError

MODEL_NAMES: tuple[str, ...] = ("random_forest", "xgboost", "logistic_regression")
FORMAT_VERSION = 1


@dataclass(frozen=True)
class FilterParams:
    rf_trees: int = 150
    rf_max_depth: int = 6
    rf_min_leaf: int = 10
    xgb_rounds: int = 150
    xgb_max_depth: int = 3
    xgb_learning_rate: float = 0.05
    lr_c: float = 0.5
    seed: int = 42
    n_jobs: int = 1  # the machine is shared; 1 thread per model keeps latency predictable


@dataclass(frozen=True, slots=True)
class FilterVerdict:
    probability: float
    approved: bool
    model_probabilities: dict[str, float]
    contributions: tuple[FeatureImportance, ...]  # SHAP per feature for this row, largest |value| first
    margin: float  # XGBoost log-odds, = sum of contributions + bias
    cached: bool


@dataclass
class WalkForwardReport:
    folds: list[dict[str, Any]] = field(default_factory=list)  # train_n, test_n, auc, auc per model
    oos_probability: np.ndarray = field(default_factory=lambda: np.empty(0))  # NaN where never tested
    mean_auc: float = float("nan")  # mean of fold AUCs
    pooled_auc: float = float("nan")  # AUC of all out-of-sample predictions together


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    if y.size == 0 or np.unique(y).size < 2:
        return float("nan")
    return float(roc_auc_score(y, p))


def purged_walk_forward_splits(
    t0: np.ndarray,
    t1: np.ndarray,
    n_splits: int = 5,
    embargo: int = 0,
    boundaries: Sequence[int] | None = None,
    min_train: int = 30,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train positions, test positions) per fold; events must be sorted by t0 (bar positions).

    Without `boundaries` the events are cut into n_splits + 1 equal blocks (the first only trains). With
    `boundaries` (bar positions b_0 < b_1 < ... < b_n) fold k tests events with b_{k-1} <= t0 < b_k.
    Purging: a training event must have t1 < (first test t0) - embargo, so no label overlaps the test.
    Folds with fewer than `min_train` training events or no test event are skipped.
    """
    t0 = np.asarray(t0, dtype=np.int64)
    t1 = np.asarray(t1, dtype=np.int64)
    if t0.shape != t1.shape or (t0.size > 1 and (np.diff(t0) < 0).any()) or (t1 < t0).any():
        raise IntelligenceInputError("events must be sorted by t0 with t1 >= t0",
                                     "les événements doivent être triés par t0 avec t1 >= t0")
    if boundaries is None:
        if n_splits < 1:
            raise IntelligenceInputError("n_splits must be >= 1", "n_splits doit être >= 1")
        edges = np.linspace(0, t0.size, n_splits + 2).astype(np.int64)
        blocks = [np.arange(edges[k], edges[k + 1]) for k in range(1, n_splits + 1)]
    else:
        b = np.asarray(boundaries, dtype=np.int64)
        blocks = [np.flatnonzero((t0 >= b[k - 1]) & (t0 < b[k])) for k in range(1, b.size)]
    out = []
    for test in blocks:
        if test.size == 0:
            continue
        start = t0[test[0]]
        train = np.flatnonzero((t0 < start) & (t1 < start - embargo))
        if train.size >= min_train:
            out.append((train, test))
    return out


class MLEnsembleFilter:
    """RandomForest + XGBoost + LogisticRegression, mean probability, approval threshold, SHAP, cache."""

    def __init__(self, threshold: float = 0.6, params: FilterParams | None = None, cache_size: int = 4096) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise IntelligenceInputError(f"threshold must be in [0, 1], got {threshold}",
                                         f"le seuil doit être dans [0, 1], reçu {threshold}")
        self.threshold = float(threshold)
        self.params = params or FilterParams()
        self.feature_names: list[str] = []
        self.medians: np.ndarray = np.empty(0)
        self.models: dict[str, Any] = {}
        self.global_importance: list[FeatureImportance] = []
        self.train_info: dict[str, Any] = {}
        self._cache: OrderedDict[bytes, FilterVerdict] = OrderedDict()
        self._cache_size = cache_size
        self._cache_hits = 0
        self._cache_misses = 0
        self._last: FilterVerdict | None = None
        self._lock = threading.Lock()

    @property
    def fitted(self) -> bool:
        return len(self.models) == len(MODEL_NAMES)

    # ------------------------------------------------------------------ matrices
    def _matrix(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        if isinstance(x, pd.DataFrame):
            missing = [c for c in self.feature_names if c not in x.columns]
            if missing:
                raise IntelligenceInputError(f"feature(s) missing for the filter: {missing}",
                                             f"caractéristique(s) absente(s) pour le filtre : {missing}")
            m = x[self.feature_names].to_numpy(np.float64)
        else:
            m = np.asarray(x, dtype=np.float64)
            if m.ndim == 1:
                m = m[None, :]
            if m.shape[1] != len(self.feature_names):
                raise IntelligenceInputError(
                    f"expected {len(self.feature_names)} features, got {m.shape[1]}",
                    f"{len(self.feature_names)} caractéristiques attendues, {m.shape[1]} reçues")
        m = np.where(np.isfinite(m), m, self.medians[None, :])
        return m

    # ------------------------------------------------------------------ training
    def _build(self) -> dict[str, Any]:
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from xgboost import XGBClassifier

        p = self.params
        return {
            "random_forest": RandomForestClassifier(
                n_estimators=p.rf_trees, max_depth=p.rf_max_depth, min_samples_leaf=p.rf_min_leaf,
                max_features="sqrt", n_jobs=p.n_jobs, random_state=p.seed),
            "xgboost": XGBClassifier(
                n_estimators=p.xgb_rounds, max_depth=p.xgb_max_depth, learning_rate=p.xgb_learning_rate,
                subsample=0.8, colsample_bytree=0.8, min_child_weight=5, reg_lambda=1.0, tree_method="hist",
                n_jobs=p.n_jobs, random_state=p.seed, eval_metric="logloss"),
            "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(C=p.lr_c, max_iter=2000)),
        }

    def fit(self, x: pd.DataFrame, y: np.ndarray | pd.Series, source: str = "") -> "MLEnsembleFilter":
        if not isinstance(x, pd.DataFrame):
            raise IntelligenceInputError("training features must be a DataFrame with named columns",
                                         "les caractéristiques d'entraînement doivent être un DataFrame nommé")
        yy = np.asarray(y, dtype=np.int64)
        if yy.shape[0] != len(x):
            raise IntelligenceInputError("features and labels differ in length",
                                         "caractéristiques et étiquettes n'ont pas la même longueur")
        classes = np.unique(yy)
        if len(x) < 20 or classes.size != 2 or not np.isin(classes, (0, 1)).all():
            raise IntelligenceInputError(
                f"the filter needs >= 20 labelled signals with both outcomes (0 and 1); got {len(x)} "
                f"with labels {classes.tolist()}",
                f"le filtre demande >= 20 signaux étiquetés avec les deux issues (0 et 1) ; reçu {len(x)} "
                f"avec les étiquettes {classes.tolist()}")
        names = [str(c) for c in x.columns]
        raw = x.to_numpy(np.float64)
        with np.errstate(all="ignore"):
            med = np.nanmedian(np.where(np.isfinite(raw), raw, np.nan), axis=0)
        med = np.where(np.isfinite(med), med, 0.0)
        models = self._build()
        m = np.where(np.isfinite(raw), raw, med[None, :])
        for model in models.values():
            model.fit(m, yy)
        with self._lock:
            self.feature_names, self.medians, self.models = names, med, models
            self._cache.clear()
            self._last = None
            contribs = self.shap_values(m)[:, :-1]
            mean_abs = np.abs(contribs).mean(axis=0)
            order = np.argsort(-mean_abs)
            self.global_importance = [FeatureImportance(names[i], float(mean_abs[i])) for i in order]
            self.train_info = {"n_train": int(len(x)), "positive_rate": float(yy.mean()), "source": source}
        return self

    # ------------------------------------------------------------------ inference
    def _require(self) -> None:
        if not self.fitted:
            raise IntelligenceInputError("the ensemble filter is not trained", "le filtre d'ensemble n'est pas entraîné")

    def _proba(self, name: str, m: np.ndarray) -> np.ndarray:
        model = self.models[name]
        if name == "random_forest" and m.shape[0] <= 16:
            # Live signals come one at a time: averaging the trees directly skips the per-call joblib and
            # input-validation overhead of RandomForestClassifier.predict_proba (~4x faster, same numbers).
            m32 = np.ascontiguousarray(m, dtype=np.float32)
            acc = np.zeros((m.shape[0], len(model.classes_)))
            for tree in model.estimators_:
                acc += tree.predict_proba(m32, check_input=False)
            return acc[:, 1] / len(model.estimators_)
        return model.predict_proba(m)[:, 1]

    def predict_models(self, x: pd.DataFrame | np.ndarray) -> dict[str, np.ndarray]:
        self._require()
        m = self._matrix(x)
        return {name: self._proba(name, m) for name in MODEL_NAMES}

    def predict_proba(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        per = self.predict_models(x)
        return np.mean(np.vstack([per[k] for k in MODEL_NAMES]), axis=0)

    def approve(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        return self.predict_proba(x) >= self.threshold

    def _dmatrix(self, m: np.ndarray) -> Any:
        import xgboost as xgb

        # one thread: building a DMatrix with every core costs ~20 ms per row on a busy machine
        return xgb.DMatrix(m, feature_names=self.feature_names, nthread=self.params.n_jobs)

    def shap_values(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        """(n, n_features + 1) TreeSHAP contributions of the XGBoost member; last column is the bias."""
        m = self._matrix(x) if isinstance(x, pd.DataFrame) else np.asarray(x, dtype=np.float64)
        booster = self.models["xgboost"].get_booster()
        return booster.predict(self._dmatrix(m), pred_contribs=True)

    def margin(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        """XGBoost raw log-odds output, the quantity SHAP contributions add up to."""
        m = self._matrix(x) if isinstance(x, pd.DataFrame) else np.asarray(x, dtype=np.float64)
        booster = self.models["xgboost"].get_booster()
        return booster.predict(self._dmatrix(m), output_margin=True)

    def score(self, row: pd.DataFrame | np.ndarray) -> FilterVerdict:
        """Verdict for ONE signal row, through the prediction cache (keyed by the exact feature values)."""
        self._require()
        m = self._matrix(row)
        if m.shape[0] != 1:
            raise IntelligenceInputError(f"score() takes one row, got {m.shape[0]}",
                                         f"score() prend une seule ligne, reçu {m.shape[0]}")
        key = m.tobytes()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self._cache_hits += 1
                verdict = FilterVerdict(hit.probability, hit.approved, hit.model_probabilities, hit.contributions,
                                        hit.margin, cached=True)
                self._last = verdict
                return verdict
        per = {name: float(self._proba(name, m)[0]) for name in MODEL_NAMES}
        prob = float(np.mean(list(per.values())))
        contrib = self.shap_values(m)[0]
        order = np.argsort(-np.abs(contrib[:-1]))
        contributions = tuple(FeatureImportance(self.feature_names[i], float(contrib[i])) for i in order)
        verdict = FilterVerdict(prob, prob >= self.threshold, per, contributions, float(contrib.sum()), cached=False)
        with self._lock:
            self._cache_misses += 1
            self._cache[key] = verdict
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            self._last = verdict
        return verdict

    def cache_info(self) -> dict[str, int]:
        return {"hits": self._cache_hits, "misses": self._cache_misses, "size": len(self._cache),
                "max_size": self._cache_size}

    def top_features(self, n: int = 10) -> list[FeatureImportance]:
        self._require()
        return list(self.global_importance[: max(0, int(n))])

    def last_contributions(self, n: int = 10) -> list[FeatureImportance]:
        """SHAP contributions of the last scored signal (empty before any)."""
        last = self._last
        return [] if last is None else list(last.contributions[: max(0, int(n))])

    # ------------------------------------------------------------------ evaluation
    def walk_forward(
        self,
        x: pd.DataFrame,
        y: np.ndarray,
        t0: np.ndarray,
        t1: np.ndarray,
        n_splits: int = 5,
        embargo: int = 0,
        min_train: int = 30,
    ) -> WalkForwardReport:
        """Purged walk-forward out-of-sample evaluation; leaves this filter fitted on the last fold."""
        yy = np.asarray(y, dtype=np.int64)
        report = WalkForwardReport(oos_probability=np.full(len(x), np.nan))
        for train, test in purged_walk_forward_splits(t0, t1, n_splits, embargo, min_train=min_train):
            if np.unique(yy[train]).size < 2:
                continue
            self.fit(x.iloc[train], yy[train])
            per = self.predict_models(x.iloc[test])
            p = np.mean(np.vstack([per[k] for k in MODEL_NAMES]), axis=0)
            report.oos_probability[test] = p
            report.folds.append({
                "train_n": int(train.size), "test_n": int(test.size), "auc": _auc(yy[test], p),
                **{f"auc_{k}": _auc(yy[test], per[k]) for k in MODEL_NAMES},
                "approved": int((p >= self.threshold).sum()),
            })
        aucs = [f["auc"] for f in report.folds if not math.isnan(f["auc"])]
        report.mean_auc = float(np.mean(aucs)) if aucs else float("nan")
        tested = ~np.isnan(report.oos_probability)
        report.pooled_auc = _auc(yy[tested], report.oos_probability[tested])
        return report

    # ------------------------------------------------------------------ persistence
    def save(self, directory: Path) -> Path:
        import joblib
        import sklearn
        import xgboost

        self._require()
        directory.mkdir(parents=True, exist_ok=True)
        self.models["xgboost"].get_booster().save_model(str(directory / "xgboost.json"))
        joblib.dump(self.models["random_forest"], directory / "random_forest.joblib")
        joblib.dump(self.models["logistic_regression"], directory / "logistic_regression.joblib")
        meta = {
            "format_version": FORMAT_VERSION, "threshold": self.threshold, "params": asdict(self.params),
            "feature_names": self.feature_names, "medians": self.medians.tolist(),
            "global_importance": [[f.name, f.value] for f in self.global_importance],
            "train_info": self.train_info, "sklearn": sklearn.__version__, "xgboost": xgboost.__version__,
        }
        tmp = directory / "meta.json.tmp"
        tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        tmp.replace(directory / "meta.json")  # written last: its presence marks a complete checkpoint
        return directory

    @classmethod
    def load(cls, directory: Path, threshold: float | None = None) -> "MLEnsembleFilter":
        """Load a checkpoint written by save(). Only load checkpoints this program wrote (joblib is pickle)."""
        import joblib
        from xgboost import XGBClassifier

        meta_path = directory / "meta.json"
        if not meta_path.exists():
            raise FileNotFoundError(meta_path)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"format {meta.get('format_version')} != {FORMAT_VERSION}")
            flt = cls(threshold=float(meta["threshold"] if threshold is None else threshold),
                      params=FilterParams(**meta["params"]))
            xgbm = XGBClassifier()
            xgbm.load_model(str(directory / "xgboost.json"))
            models = {
                "random_forest": joblib.load(directory / "random_forest.joblib"),
                "xgboost": xgbm,
                "logistic_regression": joblib.load(directory / "logistic_regression.joblib"),
            }
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            raise IntelligenceInputError(f"filter checkpoint in {directory} is unreadable ({exc})",
                                         f"le point de sauvegarde du filtre dans {directory} est illisible ({exc})"
                                         ) from None
        flt.feature_names = list(meta["feature_names"])
        flt.medians = np.asarray(meta["medians"], dtype=np.float64)
        flt.models = models
        flt.global_importance = [FeatureImportance(str(n), float(v)) for n, v in meta["global_importance"]]
        flt.train_info = dict(meta.get("train_info", {}))
        return flt
