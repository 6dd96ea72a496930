"""The torch decoder read from CTranslate2's model.bin computes what CTranslate2 computes."""
from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr.base import BackendUnavailable
from assistant.asr.whisper_decoder import WhisperDecoder, read_ct2_variables


@pytest.fixture(scope="module")
def encoded(model_dir: Path) -> tuple[Any, np.ndarray]:
    import ctranslate2

    from assistant.asr.whisper_encoder import WhisperEncoder

    rng = np.random.default_rng(3)
    t = np.arange(32000) / 16000
    audio = (0.1 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t)) + 0.01 * rng.standard_normal(32000))
    enc = WhisperEncoder(model_dir)
    model32 = ctranslate2.models.Whisper(str(model_dir), device="cpu", compute_type="float32")
    feats = enc.features(np.concatenate([audio, np.zeros(16000)]).astype(np.float32), padding=0)[:, :-1]
    view = ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32))
    return model32, np.asarray(model32.encode(view, to_cpu=True))


def test_logits_match_ctranslate2(model_dir: Path, tokenizer: Any, encoded: tuple[Any, np.ndarray]) -> None:
    import ctranslate2

    model32, out = encoded
    prompt = [tokenizer.token_id("<|startoftranscript|>"), tokenizer.language_token("fr"),
              tokenizer.token_id("<|transcribe|>"), tokenizer.token_id("<|notimestamps|>")]
    forced = list(tokenizer.encode(" Achète deux contrats ES."))
    result = model32.generate(ctranslate2.StorageView.from_array(out), [prompt + forced], max_length=len(prompt) + len(forced) + 1,
                              return_logits_vocab=True, beam_size=1)
    decoder = WhisperDecoder(model_dir, dtype="float32")
    lp, _ = decoder.step([prompt + forced], 0, None, decoder.cross(out))
    # One row of logits per step after <|notimestamps|>, the forced tokens' steps included.
    rows = result[0].logits[0]
    assert len(rows) >= 4
    for j in range(min(len(rows), len(forced))):
        reference = np.asarray(rows[j])
        mine = lp[0, len(prompt) - 1 + j].numpy()
        # CTranslate2 suppresses some tokens (-inf): compare the others, as differences to the
        # best one (logit differences are log-probability differences).
        top = np.argsort(-reference)[:20]
        assert top[0] == max(top, key=lambda t: mine[t])
        assert np.abs((mine[top] - mine[top[0]]) - (reference[top] - reference[top[0]])).max() < 0.05


def test_cached_batched_steps_equal_one_full_pass(model_dir: Path, tokenizer: Any, encoded: tuple[Any, np.ndarray]) -> None:
    _, out = encoded
    decoder = WhisperDecoder(model_dir, dtype="float32")  # bfloat16 rounds differently per batch shape
    cross = decoder.cross(out)
    prompt = [tokenizer.token_id("<|startoftranscript|>"), tokenizer.language_token("en"),
              tokenizer.token_id("<|transcribe|>"), tokenizer.token_id("<|notimestamps|>")]
    a, b = list(tokenizer.encode(" Buy two ES")), list(tokenizer.encode(" Stop trading"))
    n = min(len(a), len(b))
    full, _ = decoder.step([prompt + a[:n], prompt + b[:n]], 0, None, cross)
    lp, cache = decoder.step([prompt, prompt], 0, None, cross)
    rows = [lp[:, -1]]
    for i in range(n):
        lp, cache = decoder.step([a[i], b[i]], len(prompt) + i, cache, cross)
        rows.append(lp[:, 0])
    for i, row in enumerate(rows):
        assert np.abs(row.numpy() - full[:, len(prompt) - 1 + i].numpy()).max() < 1e-3
    # Reordering the cache follows the beam: row 1 continued from row 0's history.
    swapped = decoder.reorder(cache, [1, 0])
    assert np.allclose(swapped[0][0][0].numpy(), cache[0][0][1].numpy())


def test_a_padded_row_decodes_as_if_alone(model_dir: Path, tokenizer: Any, encoded: tuple[Any, np.ndarray]) -> None:
    """A prompted row (<|startofprev|> + text) and an unprompted row share one batch: the
    unprompted one, padded at the front, gets the log-probabilities it gets alone, at every
    cached step too (the constrained search's garbage row stays unprompted this way)."""
    _, out = encoded
    decoder = WhisperDecoder(model_dir, dtype="float32")
    cross = decoder.cross(out)
    prompt = [tokenizer.token_id("<|startoftranscript|>"), tokenizer.language_token("en"),
              tokenizer.token_id("<|transcribe|>"), tokenizer.token_id("<|notimestamps|>")]
    previous = [tokenizer.token_id("<|startofprev|>"), *tokenizer.encode(" Buy, sell, ES, MNQ.")]
    words = list(tokenizer.encode(" Buy two ES"))
    alone, _ = decoder.step([prompt + words], 0, None, cross)
    pre = len(previous)
    padded = [prompt[0]] * pre + prompt
    lp, cache = decoder.step([previous + prompt, padded], 0, None, cross, pad=[0, pre])
    assert np.abs(lp[1, pre:].numpy() - alone[0, :len(prompt)].numpy()).max() < 1e-3
    # The prompt changes the prompted row: it is not the padded row's twin.
    assert np.abs(lp[0, -1].numpy() - lp[1, -1].numpy()).max() > 0.1
    for i, tok in enumerate(words):
        lp, cache = decoder.step([tok, tok], pre + len(prompt) + i, cache, cross, pad=[0, pre])
        assert np.abs(lp[1, 0].numpy() - alone[0, len(prompt) + i].numpy()).max() < 1e-3


def test_unreadable_or_quantised_models_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(struct.pack("<I", 99))
    with pytest.raises(BackendUnavailable, match="binary version 99"):
        read_ct2_variables(bad)

    def string(s: str) -> bytes:
        raw = s.encode() + b"\0"
        return struct.pack("<H", len(raw)) + raw

    weights = np.zeros((2, 2), np.int8).tobytes()
    quantised = (struct.pack("<I", 6) + string("WhisperSpec") + struct.pack("<II", 3, 1)
                 + string("decoder/embeddings/weight") + struct.pack("<B2IBI", 2, 2, 2, 1, len(weights)) + weights
                 + struct.pack("<I", 0))
    bad.write_bytes(quantised)
    with pytest.raises(BackendUnavailable) as err:
        read_ct2_variables(bad)
    assert "quantifié" in err.value.fr and "quantised" in err.value.en
    bad.write_bytes(quantised[:30])
    with pytest.raises(BackendUnavailable, match="truncated"):
        read_ct2_variables(bad)


def _long_commands(natural: Path, per_voice: dict[str, str]) -> list[tuple[Path, str]]:
    """The longest command of each voice whose labelled text starts as given (both languages)."""
    import json

    from audio_fixtures import generate

    out = []
    for voice, start in per_voice.items():
        lang = "fr" if "fr" in voice else "en"
        data = json.loads(generate.labels_path(lang).read_text(encoding="utf-8"))
        name = max((k for k, v in data.items() if k.startswith(voice + "/") and (v.get("text") or "").startswith(start)),
                   key=lambda k: (len(data[k]["text"]), k))
        out.append((natural / lang / name, data[name]["text"]))
    return out


LONG = {"pico-en-US": "go long", "mb-en1": "go long", "pico-fr-FR": "Placer un trade long", "mb-fr1": "Placer un trade long"}


def test_alignment_heads_follow_the_speech(model_dir: Path, tokenizer: Any, natural: Path) -> None:
    """The alignment heads' cross-attention (`step(..., align=True)`) looks, after a command's last
    word, into the silence after the speech, and after half the command at the speech still to
    come: what lets the search refuse to end a sentence early (natural voices, both languages)."""
    from assistant.asr.constrained_whisper import speech_end
    from assistant.asr.whisper_encoder import WhisperEncoder
    from assistant.audio import WavSource

    decoder = WhisperDecoder(model_dir)
    assert decoder.alignment_heads and all(0 <= layer < decoder.layers_n for layer in decoder.alignment_heads)
    encoder = WhisperEncoder(model_dir)
    decoder.set_silence(encoder.silence(model_dir))
    for path, text in _long_commands(natural, LONG):
        audio = WavSource(path).pcm.astype(np.float32) / 32768.0
        end_s = speech_end(audio)
        cross = decoder.cross(encoder.encode(audio, 1.0), 1500)
        lang = "fr" if "/fr/" in str(path) else "en"
        prompt = [tokenizer.token_id("<|startoftranscript|>"), tokenizer.language_token(lang),
                  tokenizer.token_id("<|transcribe|>"), tokenizer.token_id("<|notimestamps|>")]
        words = text.split()
        half = list(tokenizer.encode(" " + " ".join(words[: len(words) // 2])))
        whole = list(tokenizer.encode(" " + text))
        decoder.step([prompt + whole], 0, None, cross, align=True)
        att = decoder.last_alignment[0]
        assert att.shape[-1] == 1500 and np.allclose(att.sum(-1).numpy(), 1.0, atol=1e-3)
        look = att.argmax(-1).numpy() * 0.02  # where the model looks for the token after each position
        look_half = look[len(prompt) - 1 + len(half)]
        look_end = look[len(prompt) - 1 + len(whole)]
        assert look_half < end_s - 0.8, (path.name, look_half, end_s)
        assert look_end >= end_s - 0.8, (path.name, look_end, end_s)


def test_alignment_heads_from_the_model_or_the_upper_layers(tmp_path: Path) -> None:
    from assistant.asr.whisper_decoder import alignment_heads

    (tmp_path / "config.json").write_text('{"alignment_heads": [[3, 1], [5, 2], [5, 6], [9, 0]]}')
    assert alignment_heads(tmp_path, 6, 8) == {3: [1], 5: [2, 6]}  # out of range pairs dropped
    (tmp_path / "config.json").write_text("not json")
    assert alignment_heads(tmp_path, 6, 8) == {layer: list(range(8)) for layer in (3, 4, 5)}


def test_extend_after_a_cached_prefix_equals_one_full_pass(model_dir: Path, tokenizer: Any,
                                                          encoded: tuple[Any, np.ndarray]) -> None:
    """Several new tokens after a cached prefix (teacher forcing of sentences sharing a prefix)
    see exactly what a full pass sees: the prefix and the new tokens before them."""
    _, out = encoded
    decoder = WhisperDecoder(model_dir, dtype="float32")
    cross = decoder.cross(out)
    prompt = [tokenizer.token_id("<|startoftranscript|>"), tokenizer.language_token("en"),
              tokenizer.token_id("<|transcribe|>"), tokenizer.token_id("<|notimestamps|>")]
    rows = [prompt + list(tokenizer.encode(s)) for s in (" Buy two ES contracts", " Buy twelve ES")]
    shared = len(prompt) + 1  # " Buy"
    full = [decoder.hidden([r], cross)[0] for r in rows]
    _, cache = decoder.extend([rows[0][:shared]], 0, None, cross)
    width = max(len(r) for r in rows) - shared
    tails = [r[shared:] + [r[-1]] * (width - len(r) + shared) for r in rows]
    prefix = [(k.expand(2, -1, -1, -1), v.expand(2, -1, -1, -1)) for k, v in cache]
    h, _ = decoder.extend(tails, shared, prefix, cross)
    for i, r in enumerate(rows):
        n = len(r) - shared
        assert np.abs(h[i, :n].numpy() - full[i][shared:].numpy()).max() < 1e-3


def test_the_sliced_projection_and_the_packed_first_step_are_the_plain_arithmetic(
        model_dir: Path, tokenizer: Any, encoded: tuple[Any, np.ndarray]) -> None:
    """Two CPU savings of the search's decoder that must not change one bit: the float32 output
    projection computed slice by slice of the vocabulary, and `first_steps` (the prompted rows
    and the unprompted rows through one pass of the weights, the last layer only at the positions
    read) against two `step` calls."""
    import torch

    _, out = encoded
    decoder = WhisperDecoder(model_dir, dtype="float32")
    assert len(decoder.projection_parts) > 1
    cross = decoder.cross(out, 1500)
    hidden = torch.randn(6, 512) * 5
    plain_logits = torch.nn.functional.linear(hidden, decoder.projection)
    assert torch.equal(decoder.project(hidden), torch.log_softmax(plain_logits, -1))
    plain = [[tokenizer.token_id("<|startoftranscript|>"), tokenizer.language_token(lang),
              tokenizer.token_id("<|transcribe|>"), tokenizer.token_id("<|notimestamps|>")] for lang in ("fr", "en")]
    previous = [tokenizer.token_id("<|startofprev|>"), *tokenizer.encode(" Buy, sell, ES, MNQ, contrats.")]
    prompted = [previous + p for p in plain]
    pre = len(previous)
    lp, cache = decoder.step(prompted, 0, None, cross, align=True, read=[pre, pre + 3])
    att = decoder.last_alignment
    lp_free, cache_free = decoder.step(plain, 0, None, cross, read=[0, 3])
    (lp2, cache2, att2), (free2, cache_free2, none) = decoder.first_steps(
        [prompted, plain], [[pre, pre + 3], [0, 3]], [True, False], cross)
    assert none is None
    assert torch.equal(lp, lp2) and torch.equal(att, att2) and torch.equal(lp_free, free2)
    for (k, v), (k2, v2) in zip(cache + cache_free, cache2 + cache_free2):
        assert torch.equal(k, k2) and torch.equal(v, v2)
    # The last layer computed at the positions read only: what computing all of them gives.
    full, _ = decoder.step(prompted, 0, None, cross)
    assert torch.equal(full[:, [pre, pre + 3]], lp)
