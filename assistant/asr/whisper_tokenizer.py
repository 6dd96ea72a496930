"""Whisper's byte-level BPE tokenizer, loaded from a model folder's `tokenizer.json` and repaired.

Some conversions of Whisper to CTranslate2 (faster-whisper models published before 2024, and copies
of them users still download) lack the first BPE merge, `"Ġ t"`. Decoding is unaffected, but
*encoding* text that starts a word with "t" (" the", " trade", " trois", " toutes") then gives
token sequences Whisper never saw in training, which ruins everything that scores text against
the model: prompts, hotwords, and this project's grammar-constrained search. `load_tokenizer`
puts the merge back at rank 0 when it is missing (in memory; the file is left alone) and says so
in `WhisperTokenizer.repaired`.

Pre-tokenisation splits text into words *with* their leading space (" Achète", " 2", "%"), and
merges never cross those pieces, so a word's tokens do not depend on its neighbours: the
constrained recogniser tokenises each grammar word on its own (`encode`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .base import BackendUnavailable

FIRST_MERGE = ("Ġ", "t")

#: Special tokens the recogniser uses (multilingual Whisper vocabulary).
SPECIALS = ("<|endoftext|>", "<|startoftranscript|>", "<|transcribe|>", "<|notimestamps|>",
            "<|nospeech|>", "<|nocaptions|>")


def _has_first_merge(merges: list[Any]) -> bool:
    for merge in merges[:8]:  # it belongs at rank 0; a few ranks of slack for odd files
        pair = tuple(merge.split(" ", 1)) if isinstance(merge, str) else tuple(merge)
        if pair == FIRST_MERGE:
            return True
    return False


def repair_tokenizer_json(data: dict[str, Any]) -> bool:
    """Insert the merge `"Ġ t"` at rank 0 of a BPE `tokenizer.json` (parsed) when it is missing.
    Returns True when the data was changed. Both merge formats are handled ("Ġ t" and ["Ġ", "t"])."""
    model = data.get("model") or {}
    merges = model.get("merges")
    if model.get("type") != "BPE" or not isinstance(merges, list) or not merges:
        return False
    if _has_first_merge(merges):
        return False
    merges.insert(0, " ".join(FIRST_MERGE) if isinstance(merges[0], str) else list(FIRST_MERGE))
    return True


@dataclass
class WhisperTokenizer:
    """A `tokenizers.Tokenizer` plus the ids and token texts the recogniser needs."""

    hf: Any  # tokenizers.Tokenizer
    path: Path
    repaired: bool
    _cache: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

    def encode(self, text: str) -> tuple[int, ...]:
        """Token ids of `text` (no special tokens added); cached, the grammar reuses words a lot."""
        ids = self._cache.get(text)
        if ids is None:
            ids = tuple(self.hf.encode(text, add_special_tokens=False).ids)
            self._cache[text] = ids
        return ids

    def decode(self, ids: list[int] | tuple[int, ...]) -> str:
        return str(self.hf.decode(list(ids), skip_special_tokens=True))

    def token_id(self, token: str) -> int:
        tid = self.hf.token_to_id(token)
        if tid is None:
            raise BackendUnavailable(
                f"Le tokenizer Whisper ({self.path}) n'a pas le jeton {token} : modèle non multilingue ?",
                f"The Whisper tokenizer ({self.path}) has no token {token}: not a multilingual model?",
            )
        return int(tid)

    def language_token(self, lang: str) -> int:
        return self.token_id(f"<|{lang}|>")

    @property
    def vocab_size(self) -> int:
        return int(self.hf.get_vocab_size(with_added_tokens=True))

    @cached_property
    def token_texts(self) -> list[str]:
        """The text each token id stands for ("" for special tokens and partial UTF-8 bytes)."""
        out = [""] * self.vocab_size
        for tid in range(self.vocab_size):
            piece = self.hf.id_to_token(tid)
            if piece is None or (piece.startswith("<|") and piece.endswith("|>")):
                continue
            text = self.hf.decode([tid])
            out[tid] = "" if "\ufffd" in text else text
        return out

    def ids_matching(self, pattern: str) -> tuple[int, ...]:
        """Ids of the tokens whose whole text matches a regular expression."""
        rx = re.compile(pattern)
        return tuple(i for i, text in enumerate(self.token_texts) if text and rx.fullmatch(text))


def load_tokenizer(model_dir: str | Path) -> WhisperTokenizer:
    """The model folder's `tokenizer.json`, with the missing first merge put back if needed.
    Raises `BackendUnavailable` (bilingual) when the file is missing or unreadable."""
    path = Path(model_dir).expanduser() / "tokenizer.json"
    try:
        from tokenizers import Tokenizer
    except ImportError:  # pragma: no cover - tokenizers comes with faster-whisper
        raise BackendUnavailable("pip install tokenizers", "pip install tokenizers") from None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        repaired = repair_tokenizer_json(data)
        hf = Tokenizer.from_str(json.dumps(data))
    except FileNotFoundError:
        raise BackendUnavailable(
            f"tokenizer.json absent du modèle Whisper ({path.parent}) : retéléchargez le modèle",
            f"tokenizer.json is missing from the Whisper model ({path.parent}): download the model again",
        ) from None
    except Exception as exc:  # noqa: BLE001 - json / tokenizers raise several types
        raise BackendUnavailable(
            f"tokenizer.json illisible ({path}) : {exc}. Retéléchargez le modèle.",
            f"tokenizer.json cannot be read ({path}): {exc}. Download the model again.",
        ) from None
    return WhisperTokenizer(hf, path, repaired)
