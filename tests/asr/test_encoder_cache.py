"""The encoder's cached 30 s of silence: a damaged cache file is computed again, never trusted."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.mark.parametrize("damage", [b"", b"\x93NUMPY\x01\x00v\x00{'descr': '<f2'"])  # empty, cut in its header
def test_damaged_silence_cache_is_rebuilt(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          damage: bytes) -> None:
    from assistant.asr.whisper_encoder import WhisperEncoder

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    encoder = WhisperEncoder(model_dir)
    first = encoder.silence(model_dir)
    files = list((tmp_path / "mia").glob("whisper-silence-*.npy"))
    assert len(files) == 1 and first.shape[1] == 1500
    files[0].write_bytes(damage)  # e.g. another process's half-written file
    again = encoder.silence(model_dir)
    assert again.shape == first.shape
    assert np.allclose(again, first, atol=1e-2)
    assert np.load(files[0]).shape == first.shape  # the cache was written again, whole
    assert not list((tmp_path / "mia").glob("*.tmp"))  # no temporary file left behind
