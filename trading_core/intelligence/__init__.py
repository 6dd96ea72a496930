"""Market intelligence: features, gamma cycle, HMM regimes, the ML ensemble filter with SHAP, evaluation.

Modules: features (bar features, causal), gamma (options-expiry cycle), labels (triple-barrier outcomes),
signals (candidate signals, meta-label rows), regime (Gaussian HMM), filter (MLEnsembleFilter), backtest and
evaluate (`mia evaluate`), figures (PNGs), service (IntelligenceService held by the Engine), types, cli.
The torch trade-probability models live in `rl/`. Nothing is imported here so that importing a submodule
stays cheap.
"""
