"""Recorded-audio test harness: labelled audio folders -> the live listening path -> command
acceptance (overall, per language, per SNR, per noise, per intent), failures, latency and real-time
factor. `mia harness` is in `cli.py`; the labels format and the SNR definition are in docs/harness.md.
"""
