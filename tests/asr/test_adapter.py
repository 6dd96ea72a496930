"""The decoder's domain adapter: applied to the grammar rows only, refused when it does not fit."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr.adapter import LoraWeights, load_adapter, model_hash
from assistant.asr.base import BackendUnavailable
from assistant.asr.whisper_decoder import WhisperDecoder


@pytest.fixture(scope="module")
def decoder(model_dir: Path) -> WhisperDecoder:
    return WhisperDecoder(model_dir, dtype="float32")


@pytest.fixture(scope="module")
def sha(model_dir: Path) -> str:
    return model_hash(model_dir)


def _random_adapter(decoder: WhisperDecoder, path: Path, sha: str) -> None:
    import torch

    lora = LoraWeights.new(decoder.layers_n, decoder.width, 4, seed=1)
    with torch.no_grad():
        for p in lora.parameters:
            p.add_(torch.randn_like(p) * 0.05)
    lora.save(path, {"model_sha256": sha})


def test_adapter_changes_grammar_rows_and_not_the_free_row(decoder: WhisperDecoder, model_dir: Path, sha: str,
                                                           tokenizer: Any, tmp_path: Path) -> None:
    path = tmp_path / "adapter.npz"
    _random_adapter(decoder, path, sha)
    rng = np.random.default_rng(0)
    cross = decoder.cross(rng.standard_normal((1, 100, decoder.width)).astype(np.float32))
    row = [tokenizer.token_id("<|startoftranscript|>"), tokenizer.language_token("fr"),
           tokenizer.token_id("<|transcribe|>"), tokenizer.token_id("<|notimestamps|>"),
           *tokenizer.encode(" Achète deux contrats ES")]
    base, _ = decoder.step([row], 0, None, cross)
    decoder.set_adapter(load_adapter(path, model_dir, decoder.layers_n, decoder.width, expected_hash=sha))
    try:
        both, _ = decoder.step([row, row], 0, None, cross, adapt=[True, False])
        unmarked, _ = decoder.step([row], 0, None, cross)
    finally:
        decoder.set_adapter(None)
    assert float((both[0] - base[0]).abs().max()) > 0.1  # the grammar row reads the adapted decoder
    assert float((both[1] - base[0]).abs().max()) < 1e-4  # the free row is the base model
    assert float((unmarked[0] - base[0]).abs().max()) < 1e-4  # nothing marked: the base model


def test_adapter_for_another_model_is_refused(decoder: WhisperDecoder, model_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    _random_adapter(decoder, path, "0" * 64)
    with pytest.raises(BackendUnavailable) as err:
        load_adapter(path, model_dir, decoder.layers_n, decoder.width)
    assert "autre modèle" in err.value.fr and "another Whisper model" in err.value.en


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04 truncated"])
def test_corrupt_adapter_file_is_refused_clearly(model_dir: Path, sha: str, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.npz"
    path.write_bytes(content)
    with pytest.raises(BackendUnavailable) as err:
        load_adapter(path, model_dir, 6, 512, expected_hash=sha)
    assert "illisible" in err.value.fr and "unreadable" in err.value.en


def test_adapter_of_the_wrong_shape_is_refused(decoder: WhisperDecoder, model_dir: Path, sha: str,
                                               tmp_path: Path) -> None:
    path = tmp_path / "shape.npz"
    _random_adapter(decoder, path, sha)
    with pytest.raises(BackendUnavailable):
        load_adapter(path, model_dir, decoder.layers_n, decoder.width * 2, expected_hash=sha)
    with pytest.raises(BackendUnavailable):
        load_adapter(tmp_path / "missing.npz", model_dir, decoder.layers_n, decoder.width, expected_hash=sha)
