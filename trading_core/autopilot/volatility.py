"""The guide's neural pipeline: an LSTM forecasting tomorrow's VIX (`predicted_vix`) from daily VIX and S&P 500.

Data (`autopilot.daily_data_dir`, by default ../shared/data/market/daily beside the checkout; read there,
never copied): the CBOE VIX closes and the S&P 500 index closes; S&P days after the index file are
continued with the ES front-month settlement (same daily returns up to the basis), and, for replays and
the live engine, with ES daily closes built from 1-minute bars. Only daily returns of the S&P are used.

Inputs for day t, over the last `SEQ_LEN` days: log VIX, its daily change, the S&P log return, log of the
S&P's 10-day realised volatility. Target: log VIX(t+1) - log VIX(t), so that the naive forecast
"tomorrow = today" is the prediction 0; predicted_vix = VIX(t) x exp(prediction). Inputs and target are
standardised with the training block's mean and deviation.

Evaluation, walk-forward: for each test year Y (2008 .. the last full year with both series), a fresh
model is trained on the days before 1 January Y and forecasts every day of Y. RMSE and MAE (VIX points)
of the model and of the naive forecast are reported per year and pooled, with a Diebold-Mariano test on
the squared errors. `beats_baseline` is true only when BOTH pooled errors are lower AND the improvement is
significant (one-sided p < 0.05): then, and only then, the autopilot's sizing uses the forecast
(`VolatilityGate.factor`: VIX(t) / predicted_vix(t+1), at most 1 and at least 0.5, i.e. smaller trades
when the model expects volatility to rise; never on a day the model was trained on).
The final model is trained on every day and saved like the RL checkpoints (checkpoints.save_checkpoint:
model.pt + metadata.json with the walk-forward record) under <data_dir>/checkpoints/lstm_vix/<market>/;
the figure goes to <data_dir>/figures/<market>/prediction_vix.png. Imports torch only to train or load.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from trading_core.config import PACKAGE_ROOT, MiaConfig

log = logging.getLogger("mia.autopilot.volatility")

SEQ_LEN = 20
HIDDEN = 16
FEATURES = ("log_vix", "d_log_vix", "spx_return", "log_spx_rv10")
VIX_FILE = "vix_1d_1990-2026_cboe.csv"
SPX_FILE = "sp500_index_1d_1999-2018_arch.csv"
ES_FILE = "es_nq_front_1d_2015-2019_quandl-chris.csv"
MODEL_NAME = "lstm_vix"
VERSION = "mia-lstm-vix-1"
MIN_FACTOR = 0.5
DM_ALPHA = 0.05  # the improvement over the naive forecast must be significant at this level


class VolatilityInputError(ValueError):
    def __init__(self, message_en: str, message_fr: str) -> None:
        self.message_en, self.message_fr = message_en, message_fr
        super().__init__(message_en)

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


# --------------------------------------------------------------------------- data
def daily_data_dir(config: MiaConfig) -> Path:
    configured = config.autopilot.daily_data_dir
    if configured:
        return Path(configured).expanduser()
    return PACKAGE_ROOT.parent / "shared" / "data" / "market" / "daily"


def _read(path: Path, date_col: str, value_col: str, what_en: str, what_fr: str) -> pd.Series:
    try:
        df = pd.read_csv(path)
        s = pd.Series(pd.to_numeric(df[value_col], errors="coerce").to_numpy(),
                      index=pd.DatetimeIndex(pd.to_datetime(df[date_col], errors="coerce")))
    except FileNotFoundError:
        raise VolatilityInputError(f"{what_en} file not found: {path}", f"fichier {what_fr} introuvable : {path}") from None
    except (OSError, KeyError, ValueError) as exc:
        raise VolatilityInputError(f"{what_en} file {path} is unreadable ({exc})",
                                   f"le fichier {what_fr} {path} est illisible ({exc})") from None
    s = s[s.index.notna() & np.isfinite(s.to_numpy()) & (s.to_numpy() > 0)]
    return s[~s.index.duplicated(keep="last")].sort_index()


def load_daily(directory: Path) -> pd.DataFrame:
    """Columns vix, spx (daily closes; spx continued by ES settlements after the index file), by date."""
    vix = _read(directory / VIX_FILE, "date", "close", "VIX", "VIX")
    spx = _read(directory / SPX_FILE, "date", "Close", "S&P 500", "S&P 500")
    es_path = directory / ES_FILE
    if es_path.exists():
        raw = pd.read_csv(es_path)
        raw = raw[raw["symbol"] == "ES"]
        es = pd.Series(pd.to_numeric(raw["settle"], errors="coerce").to_numpy(),
                       index=pd.DatetimeIndex(pd.to_datetime(raw["date"], errors="coerce"))).dropna().sort_index()
        spx = splice(spx, es)
    return pd.DataFrame({"vix": vix, "spx": spx}).dropna(how="all")


def splice(base: pd.Series, extra: pd.Series) -> pd.Series:
    """`base` continued after its last day by `extra`'s daily returns (levels rescaled to join)."""
    extra = extra[~extra.index.duplicated(keep="last")].sort_index()
    later = extra[extra.index > base.index[-1]] if len(base) else extra
    if later.empty:
        return base
    anchor = extra[extra.index <= base.index[-1]] if len(base) else extra.iloc[:0]
    scale = float(base.iloc[-1] / anchor.iloc[-1]) if len(anchor) else float(base.iloc[-1] / later.iloc[0]) if len(base) else 1.0
    return pd.concat([base, later * scale])


def daily_closes_from_bars(bars: pd.DataFrame) -> pd.Series:
    """ES daily closes (last close of each CME session) from 1-minute bars, dated by session."""
    from trading_core import calendar as cme

    days = pd.DatetimeIndex(cme.session_dates(bars.index).astype("datetime64[ns]"))
    return bars["close"].groupby(days).last()


def features(daily: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """(input features per day, target = next day's change of log VIX); rows need both series."""
    df = daily.dropna()
    lv = np.log(df["vix"])
    r = np.log(df["spx"]).diff()
    rv10 = r.rolling(10).std() * math.sqrt(252.0)
    x = pd.DataFrame({"log_vix": lv, "d_log_vix": lv.diff(), "spx_return": r, "log_spx_rv10": np.log(rv10 + 1e-6)},
                     index=df.index)
    y = lv.shift(-1) - lv
    return x, y


def sequences(x: pd.DataFrame, y: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """(N, SEQ_LEN, F) windows ending on each day with complete inputs, their targets (NaN for the last
    day), and the window end dates."""
    arr = x.to_numpy(np.float64)
    ok = np.isfinite(arr).all(axis=1)
    ends = [t for t in range(SEQ_LEN - 1, len(arr)) if ok[t - SEQ_LEN + 1:t + 1].all()]
    if not ends:
        return np.empty((0, SEQ_LEN, arr.shape[1])), np.empty(0), pd.DatetimeIndex([])
    idx = np.asarray(ends)
    win = np.stack([arr[t - SEQ_LEN + 1:t + 1] for t in ends])
    return win, y.to_numpy(np.float64)[idx], x.index[idx]


# --------------------------------------------------------------------------- model
@dataclass
class Standardiser:
    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: float
    y_std: float

    @classmethod
    def fit(cls, xs: np.ndarray, ys: np.ndarray) -> "Standardiser":
        flat = xs.reshape(-1, xs.shape[-1])
        sd = flat.std(axis=0)
        return cls(flat.mean(axis=0), np.where(sd < 1e-9, 1.0, sd), float(ys.mean()), float(ys.std() or 1.0))

    def to_json(self) -> dict[str, Any]:
        return {"x_mean": self.x_mean.tolist(), "x_std": self.x_std.tolist(), "y_mean": self.y_mean, "y_std": self.y_std}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Standardiser":
        return cls(np.asarray(d["x_mean"]), np.asarray(d["x_std"]), float(d["y_mean"]), float(d["y_std"]))


def _net(hidden: int) -> Any:
    import torch
    from torch import nn

    class VixLSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(len(FEATURES), hidden, batch_first=True)
            self.head = nn.Linear(hidden, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.lstm(x)
            return self.head(out[:, -1, :]).squeeze(-1)

    return VixLSTM()


def fit_lstm(xs: np.ndarray, ys: np.ndarray, *, epochs: int, seed: int, hidden: int = HIDDEN,
             batch: int = 128, lr: float = 2e-3, tick: Any = None) -> tuple[Any, Standardiser]:
    import torch

    from trading_core.intelligence.rl.nets import seed_everything

    seed_everything(seed)
    norm = Standardiser.fit(xs, ys)
    xt = torch.as_tensor(((xs - norm.x_mean) / norm.x_std).astype(np.float32))
    yt = torch.as_tensor(((ys - norm.y_mean) / norm.y_std).astype(np.float32))
    net = _net(hidden)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    n = xt.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for k in range(0, n, batch):
            sel = order[k:k + batch]
            opt.zero_grad()
            loss = torch.mean((net(xt[sel]) - yt[sel]) ** 2)
            loss.backward()
            opt.step()
        if tick is not None:
            tick()
    net.eval()
    return net, norm


def predict(net: Any, norm: Standardiser, xs: np.ndarray) -> np.ndarray:
    """Predicted change of log VIX for each window."""
    import torch

    if xs.shape[0] == 0:
        return np.empty(0)
    with torch.no_grad():
        out = net(torch.as_tensor(((xs - norm.x_mean) / norm.x_std).astype(np.float32))).numpy()
    return out.astype(np.float64) * norm.y_std + norm.y_mean


# --------------------------------------------------------------------------- walk-forward
@dataclass
class FoldScore:
    year: int
    days: int
    rmse_model: float
    rmse_naive: float
    mae_model: float
    mae_naive: float


@dataclass
class VixTrainResult:
    folds: list[FoldScore]
    rmse_model: float
    rmse_naive: float
    mae_model: float
    mae_naive: float
    beats_baseline: bool
    dm_stat: float  # Diebold-Mariano statistic on squared errors (> 0: the model's errors are smaller)
    dm_p: float  # one-sided p-value of "the model is not more accurate than the naive forecast"
    trained_until: str  # last day the final model saw
    checkpoint: Path | None
    figure: Path | None
    seconds: float
    oos: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)  # date, vix, next_vix, model, naive


def walk_forward(daily: pd.DataFrame, *, test_years: list[int] | None = None, epochs: int = 40, seed: int = 42,
                 tick: Any = None) -> tuple[list[FoldScore], pd.DataFrame]:
    x, y = features(daily)
    xs, ys, ends = sequences(x, y)
    have_target = np.isfinite(ys)
    years = sorted(set(ends.year.tolist()))
    if test_years is None:
        test_years = [yy for yy in years if yy >= 2008 and (ends.year == yy).sum() >= 200]
    if not test_years:
        raise VolatilityInputError("no test year with enough days of both VIX and S&P 500 data",
                                   "aucune année de test avec assez de jours de VIX et de S&P 500")
    folds: list[FoldScore] = []
    rows: list[pd.DataFrame] = []
    vix = daily["vix"].reindex(ends).to_numpy(np.float64)
    for year in test_years:
        train = (ends.year < year) & have_target
        test = (ends.year == year) & have_target
        if train.sum() < 500 or test.sum() == 0:
            continue
        net, norm = fit_lstm(xs[train], ys[train], epochs=epochs, seed=seed, tick=tick)
        pred = predict(net, norm, xs[test])
        today = vix[test]
        actual = today * np.exp(ys[test])
        model = today * np.exp(pred)
        err_m, err_n = model - actual, today - actual
        folds.append(FoldScore(year, int(test.sum()), float(np.sqrt(np.mean(err_m ** 2))),
                               float(np.sqrt(np.mean(err_n ** 2))), float(np.mean(np.abs(err_m))),
                               float(np.mean(np.abs(err_n)))))
        rows.append(pd.DataFrame({"vix": today, "next_vix": actual, "model": model, "naive": today}, index=ends[test]))
    if not folds:
        raise VolatilityInputError("not enough history before the test years to train the LSTM",
                                   "pas assez d'historique avant les années de test pour entraîner le LSTM")
    return folds, pd.concat(rows)


def train_vix_model(config: MiaConfig, *, data_dir: str | Path | None = None, market: str | None = None,
                    seed: int = 42, epochs: int | None = None, test_years: list[int] | None = None,
                    progress: bool = True, daily: pd.DataFrame | None = None) -> VixTrainResult:
    """Walk-forward evaluation, then the final model on every day; checkpoint and figure saved."""
    t0 = time.perf_counter()
    epochs = int(epochs or 40)
    if epochs < 1 or epochs > 10_000:
        raise VolatilityInputError(f"epochs must be 1..10000, got {epochs}", f"les époques doivent valoir 1 à 10000, reçu {epochs}")
    daily = load_daily(daily_data_dir(config)) if daily is None else daily
    x, y = features(daily)
    xs, ys, ends = sequences(x, y)
    n_years = len(test_years) if test_years is not None else len({yy for yy in ends.year.tolist() if yy >= 2008})
    bar = None
    if progress:
        import sys

        from tqdm import tqdm

        bar = tqdm(total=epochs * (n_years + 1), unit="epoch", desc="train lstm_vix", file=sys.stderr, dynamic_ncols=True)
    try:
        tick = bar.update if bar is not None else None
        folds, oos = walk_forward(daily, test_years=test_years, epochs=epochs, seed=seed, tick=tick)
        have = np.isfinite(ys)
        net, norm = fit_lstm(xs[have], ys[have], epochs=epochs, seed=seed, tick=tick)
    finally:
        if bar is not None:
            bar.close()
    err_m = oos["model"] - oos["next_vix"]
    err_n = oos["naive"] - oos["next_vix"]
    rmse_m, rmse_n = float(np.sqrt(np.mean(err_m ** 2))), float(np.sqrt(np.mean(err_n ** 2)))
    mae_m, mae_n = float(np.mean(np.abs(err_m))), float(np.mean(np.abs(err_n)))
    dm, p_value = diebold_mariano(err_n.to_numpy(), err_m.to_numpy())
    beats = rmse_m < rmse_n and mae_m < mae_n and p_value < DM_ALPHA
    trained_until = str(ends[have][-1].date())
    root = Path(data_dir).expanduser() if data_dir is not None else config.data_path
    mkt = (market or config.market).upper()
    from trading_core.intelligence.rl.checkpoints import save_checkpoint

    ckpt = save_checkpoint(root / "checkpoints" / MODEL_NAME / mkt, net.state_dict(), {
        "model_type": MODEL_NAME, "market": mkt, "software": VERSION, "seed": seed, "epochs": epochs,
        "hidden": HIDDEN, "seq_len": SEQ_LEN, "features": list(FEATURES), "standardiser": norm.to_json(),
        "trained_until": trained_until, "first_day": str(ends[0].date()), "days": int(have.sum()),
        "walk_forward": {"folds": [f.__dict__ for f in folds], "rmse_model": rmse_m, "rmse_naive": rmse_n,
                         "mae_model": mae_m, "mae_naive": mae_n, "dm_stat": dm, "dm_p": p_value,
                         "beats_baseline": beats},
    })
    fig = None
    try:
        fig = prediction_figure(oos, folds, root, mkt)
    except Exception:  # a figure must never lose a trained model
        log.exception("prediction figure not written")
    return VixTrainResult(folds, rmse_m, rmse_n, mae_m, mae_n, beats, dm, p_value, trained_until, ckpt, fig,
                          time.perf_counter() - t0, oos)


def diebold_mariano(err_naive: np.ndarray, err_model: np.ndarray) -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy for one-step forecasts, squared-error loss: the statistic
    (positive when the model's errors are smaller) and the one-sided p-value of "no improvement"."""
    d = np.asarray(err_naive, np.float64) ** 2 - np.asarray(err_model, np.float64) ** 2
    d = d[np.isfinite(d)]
    if d.size < 2 or d.std(ddof=1) == 0:
        return 0.0, 1.0
    stat = float(d.mean() / (d.std(ddof=1) / math.sqrt(d.size)))
    return stat, float(0.5 * math.erfc(stat / math.sqrt(2.0)))


def prediction_figure(oos: pd.DataFrame, folds: list[FoldScore], data_dir: Path, market: str) -> Path:
    from trading_core.intelligence.figures import _figure, _save, figures_dir

    fig = _figure(11, 6.5)
    ax1, ax2 = fig.subplots(2, 1, height_ratios=[2, 1])
    last = oos[oos.index.year == oos.index.year.max()]
    ax1.plot(last.index, last["next_vix"], color="#222222", lw=1.2, label="VIX (actual / réel)")
    ax1.plot(last.index, last["model"], color="#d62728", lw=1.0, label="LSTM predicted_vix / prévu")
    ax1.plot(last.index, last["naive"], color="#7f7f7f", lw=0.8, ls="--", label="naive: tomorrow = today / naïf")
    ax1.set_title(f"Next-day VIX, out of sample {last.index.year.max()} / VIX du lendemain, hors échantillon")
    ax1.legend(fontsize=8)
    years = [f.year for f in folds]
    w = 0.38
    pos = np.arange(len(years))
    ax2.bar(pos - w / 2, [f.rmse_model for f in folds], w, color="#d62728", label="LSTM RMSE")
    ax2.bar(pos + w / 2, [f.rmse_naive for f in folds], w, color="#7f7f7f", label="naive / naïf RMSE")
    ax2.set_xticks(pos)
    ax2.set_xticklabels([str(y) for y in years], fontsize=8)
    ax2.set_ylabel("RMSE (VIX points)")
    ax2.set_title("Walk-forward error per test year / erreur par année de test")
    ax2.legend(fontsize=8)
    return _save(fig, figures_dir(data_dir, market) / "prediction_vix.png")


def format_training(r: VixTrainResult, lang: str = "en") -> str:
    fr = lang == "fr"

    def num(x: float) -> str:
        return _n(x, 3).rjust(9) if fr else f"{x:9.3f}"

    lines = []
    if fr:
        lines.append("LSTM VIX du lendemain — walk-forward (entraîné avant chaque année, testé sur l'année) :")
        lines.append("année   jours  RMSE LSTM  RMSE naïf  MAE LSTM   MAE naïf")
    else:
        lines.append("LSTM next-day VIX — walk-forward (trained before each year, tested on that year):")
        lines.append("year    days  RMSE LSTM RMSE naive  MAE LSTM  MAE naive")
    for f in r.folds:
        lines.append(f"{f.year:<6d} {f.days:5d}  {num(f.rmse_model)}  {num(f.rmse_naive)}  {num(f.mae_model)}  "
                     f"{num(f.mae_naive)}")
    lines.append(f"{'total' if fr else 'pooled':<6s} {sum(f.days for f in r.folds):5d}  {num(r.rmse_model)}  "
                 f"{num(r.rmse_naive)}  {num(r.mae_model)}  {num(r.mae_naive)}")
    if fr:
        lines.append(f"Test de Diebold-Mariano (erreurs au carré) : statistique {_n(r.dm_stat)}, p = {_n(r.dm_p, 3)}.")
        lines.append("Le LSTM " + ("BAT" if r.beats_baseline else "NE BAT PAS")
                     + " la prévision naïve « demain = aujourd'hui » (RMSE et MAE hors échantillon, amélioration "
                     "significative à 5 %) : "
                     + ("la taille du pilote automatique en tiendra compte." if r.beats_baseline
                        else "le pilote automatique ne l'utilise pas."))
        lines.append(f"point de contrôle : {r.checkpoint} ; figure : {r.figure} ; {r.seconds:.0f} s")
    else:
        lines.append(f"Diebold-Mariano test (squared errors): statistic {r.dm_stat:.2f}, p = {r.dm_p:.3f}.")
        lines.append("The LSTM " + ("BEATS" if r.beats_baseline else "does NOT beat")
                     + " the naive 'tomorrow = today' forecast (lower out-of-sample RMSE and MAE, improvement "
                     "significant at 5%): "
                     + ("the autopilot's sizing will use it." if r.beats_baseline else "the autopilot does not use it."))
        lines.append(f"checkpoint: {r.checkpoint}; figure: {r.figure}; {r.seconds:.0f}s")
    return "\n".join(lines)


# --------------------------------------------------------------------------- using the trained model
@dataclass(frozen=True, slots=True)
class VolatilityForecast:
    trained: bool
    message_en: str
    message_fr: str
    as_of: date | None = None  # last day of data used
    for_date: date | None = None  # the day forecast
    last_vix: float | None = None
    predicted_vix: float | None = None
    naive_vix: float | None = None  # tomorrow = today
    rmse_model: float | None = None  # walk-forward, out of sample
    rmse_naive: float | None = None
    mae_model: float | None = None
    mae_naive: float | None = None
    beats_baseline: bool = False
    used_for_sizing: bool = False
    dm_p: float | None = None  # Diebold-Mariano one-sided p-value (model not better than naive)
    test_years: int = 0  # walk-forward folds (one test year each) behind the errors above

    def message(self, lang: str) -> str:
        return self.message_fr if lang == "fr" else self.message_en


class VixForecaster:
    """A loaded checkpoint: predicts the day after the last day of a daily frame."""

    def __init__(self, directory: Path) -> None:
        from trading_core.intelligence.rl.checkpoints import load_state, read_metadata

        self.directory = directory
        self.meta = read_metadata(directory)
        if self.meta.get("model_type") != MODEL_NAME or list(self.meta.get("features", [])) != list(FEATURES):
            from trading_core.intelligence.rl.checkpoints import CheckpointInvalid

            raise CheckpointInvalid(f"{directory} is not an {MODEL_NAME} checkpoint",
                                    f"{directory} n'est pas un point de contrôle {MODEL_NAME}")
        self.norm = Standardiser.from_json(self.meta["standardiser"])
        self.net = _net(int(self.meta.get("hidden", HIDDEN)))
        self.net.load_state_dict(load_state(directory, self.meta))
        self.net.eval()
        wf = self.meta.get("walk_forward", {})
        self.beats_baseline = bool(wf.get("beats_baseline", False))
        self.trained_until = date.fromisoformat(self.meta["trained_until"])
        self.record = wf

    def predict_series(self, daily: pd.DataFrame) -> pd.Series:
        """predicted_vix for the day after each day with a full input window (indexed by that day)."""
        x, y = features(daily)
        xs, _, ends = sequences(x, y)
        if xs.shape[0] == 0:
            return pd.Series(dtype=np.float64)
        change = predict(self.net, self.norm, xs)
        vix = daily["vix"].reindex(ends).to_numpy(np.float64)
        return pd.Series(vix * np.exp(change), index=ends)


def checkpoint_path(config: MiaConfig, market: str | None = None, data_dir: str | Path | None = None) -> Path:
    root = Path(data_dir).expanduser() if data_dir is not None else config.data_path
    return root / "checkpoints" / MODEL_NAME / (market or config.market).upper()


def _load(config: MiaConfig, market: str | None = None,
          data_dir: str | Path | None = None) -> tuple[VixForecaster | None, str, str]:
    """The checkpoint, or None with the reason in English and French."""
    from trading_core.intelligence.rl.checkpoints import CheckpointInvalid, CheckpointMissing

    path = checkpoint_path(config, market, data_dir)
    try:
        return VixForecaster(path), "", ""
    except CheckpointMissing:
        return (None, "No VIX forecast model yet. Train it with: mia train --model-type lstm_vix",
                "Pas encore de modèle de prévision du VIX. Pour l'entraîner : mia train --model-type lstm_vix")
    except (CheckpointInvalid, KeyError, ValueError, RuntimeError) as exc:
        return (None, f"The VIX forecast model cannot be used ({exc}); retrain: mia train --model-type lstm_vix",
                f"Le modèle de prévision du VIX est inutilisable ({exc}) ; ré-entraînez : mia train --model-type lstm_vix")


def _n(x: float, digits: int = 2) -> str:
    """A number the French way (decimal comma)."""
    return f"{x:.{digits}f}".replace(".", ",")


class ForecastService:
    """What `Engine.volatility_forecast()` asks: the forecast for the day after the latest daily data."""

    def __init__(self, config: MiaConfig, data_dir: str | Path | None = None) -> None:
        self.config = config
        self.data_dir = data_dir

    def forecast(self) -> VolatilityForecast:
        model, en, fr = _load(self.config, data_dir=self.data_dir)
        if model is None:
            return VolatilityForecast(False, en, fr)
        wf = model.record
        try:
            daily = load_daily(daily_data_dir(self.config))
        except VolatilityInputError as exc:
            return VolatilityForecast(True, exc.message_en, exc.message_fr, beats_baseline=model.beats_baseline)
        preds = model.predict_series(daily)
        if preds.empty:
            return VolatilityForecast(True, "Not enough daily VIX and S&P 500 data for a forecast.",
                                      "Pas assez de données quotidiennes de VIX et de S&P 500 pour une prévision.",
                                      beats_baseline=model.beats_baseline)
        day = preds.index[-1].date()
        nxt = day + timedelta(days=3 if day.weekday() == 4 else 1)
        last = float(daily["vix"].loc[preds.index[-1]])
        pv = float(preds.iloc[-1])
        used = model.beats_baseline and self.config.autopilot.use_volatility_forecast
        rm, rn, mm, mn = (float(wf.get(k, float("nan"))) for k in ("rmse_model", "rmse_naive", "mae_model", "mae_naive"))
        verdict_en = ("it beat the naive forecast out of sample" if model.beats_baseline
                      else "it did not beat the naive 'tomorrow = today' forecast out of sample, so the autopilot ignores it")
        verdict_fr = ("elle a battu la prévision naïve hors échantillon" if model.beats_baseline
                      else "elle n'a pas battu la prévision naïve « demain = aujourd'hui » hors échantillon, le pilote "
                           "automatique l'ignore donc")
        en = (f"Predicted VIX for {nxt:%Y-%m-%d}: {pv:.2f} (VIX on {day:%Y-%m-%d}: {last:.2f}; data ends that day). "
              f"Walk-forward RMSE {rm:.2f} vs {rn:.2f} naive, MAE {mm:.2f} vs {mn:.2f}: {verdict_en}.")
        fr = (f"VIX prévu pour le {nxt:%d/%m/%Y} : {_n(pv)} (VIX du {day:%d/%m/%Y} : {_n(last)} ; les données "
              f"s'arrêtent ce jour-là). Erreur walk-forward : RMSE {_n(rm)} contre {_n(rn)} pour la prévision naïve, "
              f"MAE {_n(mm)} contre {_n(mn)} : {verdict_fr}.")
        dm_p = wf.get("dm_p")
        return VolatilityForecast(True, en, fr, day, nxt, last, pv, last, rm, rn, mm, mn, model.beats_baseline, used,
                                  dm_p=None if dm_p is None else float(dm_p), test_years=len(wf.get("folds", ())))


def forecast_service(config: MiaConfig) -> ForecastService:
    return ForecastService(config)


class VolatilityGate:
    """The autopilot's sizing factor from the forecast: min(1, VIX(d-1) / predicted VIX(d)), at least 0.5,
    for a bar on session day d. 1.0 when the model did not beat the naive forecast, was trained on day d
    or later (no look-ahead), or lacks inputs for that day."""

    def __init__(self, model: VixForecaster | None, daily: pd.DataFrame | None) -> None:
        self.model = model
        self.daily = daily
        self._by_day: dict[date, float] = {}
        self._pred: pd.Series | None = None

    @property
    def usable(self) -> bool:
        return self.model is not None and self.model.beats_baseline and self.daily is not None

    @classmethod
    def from_config(cls, config: MiaConfig, market: str | None = None, data_dir: str | Path | None = None) -> "VolatilityGate":
        model, _, _ = _load(config, market, data_dir)
        daily = None
        if model is not None:
            try:
                daily = load_daily(daily_data_dir(config))
            except VolatilityInputError as exc:
                log.warning("volatility forecast unavailable: %s", exc.message_en)
        return cls(model, daily)

    def extend_with_bars(self, bars: pd.DataFrame) -> None:
        """Continue the S&P series with ES daily closes of these 1-minute bars (days it does not cover)."""
        if self.daily is None or bars.empty:
            return
        es = daily_closes_from_bars(bars)
        spx = splice(self.daily["spx"].dropna(), es)
        self.daily = pd.DataFrame({"vix": self.daily["vix"], "spx": spx})
        self._pred, self._by_day = None, {}

    def factor(self, ts: datetime) -> float:
        if not self.usable:
            return 1.0
        from trading_core.intelligence.gamma import trading_date

        day = trading_date(ts)
        hit = self._by_day.get(day)
        if hit is not None:
            return hit
        assert self.model is not None and self.daily is not None
        value = 1.0
        if day > self.model.trained_until:
            if self._pred is None:
                self._pred = self.model.predict_series(self.daily)
            before = self._pred[self._pred.index < pd.Timestamp(day)]
            if len(before):
                prev_day = before.index[-1]
                # the forecast made after the previous session's close is the one for this day
                if (pd.Timestamp(day) - prev_day).days <= 4:
                    last = float(self.daily["vix"].loc[prev_day])
                    value = float(min(1.0, max(MIN_FACTOR, last / float(before.iloc[-1]))))
        self._by_day[day] = value
        return value
