"""A tokenizer.json without the first BPE merge ("Ġ t") is repaired at load."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.asr.base import BackendUnavailable
from assistant.asr.whisper_tokenizer import load_tokenizer, repair_tokenizer_json

WORDS = [" the", " trade", " trois", " toutes", " stop trading", " Achète 2 contrats ES", " tout"]


def _broken_copy(model_dir: Path, dest: Path, *, pair_format: bool = False) -> Path:
    data = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    merges = data["model"]["merges"]
    data["model"]["merges"] = [m for m in merges if m not in ("Ġ t", ["Ġ", "t"])]
    if pair_format:  # the newer tokenizers format: merges as pairs
        data["model"]["merges"] = [m.split(" ", 1) if isinstance(m, str) else m for m in data["model"]["merges"]]
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "tokenizer.json").write_text(json.dumps(data), encoding="utf-8")
    return dest


@pytest.mark.parametrize("pair_format", [False, True])
def test_missing_first_merge_is_put_back(model_dir: Path, tmp_path: Path, pair_format: bool) -> None:
    good = load_tokenizer(model_dir)
    assert not good.repaired  # the shared copy is already fixed
    broken_dir = _broken_copy(model_dir, tmp_path / "broken", pair_format=pair_format)
    from tokenizers import Tokenizer

    raw = Tokenizer.from_file(str(broken_dir / "tokenizer.json"))
    # The bug is real: without the merge, words starting with "t" encode differently.
    assert any(raw.encode(w, add_special_tokens=False).ids != list(good.encode(w)) for w in WORDS)
    repaired = load_tokenizer(broken_dir)
    assert repaired.repaired
    for word in WORDS:
        assert repaired.encode(word) == good.encode(word), word
    # The file itself is left as it was (the repair is in memory).
    assert "Ġ t" not in json.dumps(json.loads((broken_dir / "tokenizer.json").read_text())["model"]["merges"][:1])


def test_repair_is_a_no_op_on_a_correct_file(model_dir: Path) -> None:
    data = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
    before = list(data["model"]["merges"][:3])
    assert repair_tokenizer_json(data) is False
    assert data["model"]["merges"][:3] == before
    assert repair_tokenizer_json({"model": {"type": "WordPiece"}}) is False


def test_missing_or_corrupt_tokenizer_is_explained(tmp_path: Path) -> None:
    with pytest.raises(BackendUnavailable) as err:
        load_tokenizer(tmp_path)
    assert "tokenizer.json" in err.value.fr and "tokenizer.json" in err.value.en
    (tmp_path / "tokenizer.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BackendUnavailable) as err:
        load_tokenizer(tmp_path)
    assert "illisible" in err.value.fr and "cannot be read" in err.value.en


def test_free_whisper_backend_uses_the_repaired_tokenizer(model_dir: Path, tmp_path: Path) -> None:
    """faster-whisper loads tokenizer.json itself: the backend swaps in the repaired one."""
    from assistant.asr.whisper_backend import load_model

    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("model.bin", "config.json", "vocabulary.txt"):
        if (model_dir / name).exists():
            (copy / name).symlink_to(model_dir / name)
    _broken_copy(model_dir, copy)
    model = load_model(copy)
    good = load_tokenizer(model_dir)
    assert model.hf_tokenizer.encode(" trois", add_special_tokens=False).ids == list(good.encode(" trois"))
    shutil.rmtree(copy)
