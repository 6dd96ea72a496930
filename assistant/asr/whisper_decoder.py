"""Whisper's text decoder in torch, with a key/value cache, read from a CTranslate2 `model.bin`.

Why not CTranslate2's own decoder: a grammar-constrained search needs the next-token
distribution of many partial sentences, one token at a time. Through `Whisper.generate` every
call recomputes the cross-attention and the whole prefix (55-330 ms a call here); with a cache a
step of the 6-layer, 512-wide decoder of Whisper base over a batch of hypotheses costs a few
milliseconds. The encoder stays CTranslate2's (int8, fast); its output feeds this decoder.

`model.bin` layout (CTranslate2 binary version 6, `specs/model_spec.py` `_serialize`): uint32
version, string spec name, uint32 revision, uint32 variable count, then per variable: string name,
uint8 rank, uint32 dims, uint8 dtype (0 float32, 1 int8, 2 int16, 3 int32, 4 float16,
5 bfloat16), uint32 byte count, raw bytes; then aliases (string alias, string target). Strings are
uint16 length (with the NUL) + UTF-8 + NUL. Only float weights can be used here: an int8 model
(quantised at conversion) is refused with a clear message.

Precision and speed (measured here, one thread): the 6 layers run in float32 (small matrices:
bfloat16 is no faster there and int8 dynamic quantisation is no use, see below). The output
projection (51,865 x 512, most of a step's cost) runs in bfloat16 where the CPU multiplies it
natively (AVX512-BF16 / AMX): 2-3x faster than float32, log-probabilities within 0.02 nats on
average (p99 0.1) of float32 on real decoder states. int8 dynamic quantisation would be faster
still but the decoder's hidden states have outliers (max 159 for a standard deviation of 9), so
per-tensor activation scales cost 0.09-0.15 nats on average: not used. Log-softmax is float32.
torch is imported on first use.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .base import BackendUnavailable

_DTYPES: dict[int, Any] = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
_BF16 = 5
#: Vocabulary rows per slice of the float32 output projection (`WhisperDecoder.project`): 2048 x 512
#: float32 weights (4 MB); 1024-2048 measured best here.
PROJECTION_SLICE = 2048
SUPPORTED_BINARY_VERSIONS = (5, 6)


def _unreadable(path: Path, why: str) -> BackendUnavailable:
    return BackendUnavailable(
        f"Le modèle Whisper {path} est illisible ({why}) : retéléchargez-le",
        f"The Whisper model {path} cannot be read ({why}): download it again",
    )


def read_ct2_variables(path: str | Path, prefix: str = "decoder/") -> dict[str, np.ndarray]:
    """The float variables of a CTranslate2 model whose names start with `prefix`, as float32
    arrays (aliases resolved: Whisper's output projection is the embedding matrix)."""
    p = Path(path)
    out: dict[str, np.ndarray] = {}
    try:
        with open(p, "rb") as f:
            def read(fmt: str) -> tuple[Any, ...]:
                size = struct.calcsize(fmt)
                raw = f.read(size)
                if len(raw) != size:
                    raise _unreadable(p, "truncated file")
                return struct.unpack("<" + fmt, raw)

            def read_string() -> str:
                (n,) = read("H")
                raw = f.read(n)
                if len(raw) != n:
                    raise _unreadable(p, "truncated file")
                return raw[:-1].decode("utf-8")

            (version,) = read("I")
            if version not in SUPPORTED_BINARY_VERSIONS:
                raise _unreadable(p, f"CTranslate2 binary version {version}, expected 5 or 6")
            spec = read_string()
            if spec != "WhisperSpec":
                raise _unreadable(p, f"not a Whisper model ({spec})")
            read("I")  # spec revision
            (count,) = read("I")
            for _ in range(count):
                name = read_string()
                (rank,) = read("B")
                dims = read(f"{rank}I") if rank else ()
                (dtype,) = read("B")
                (nbytes,) = read("I")
                if not name.startswith(prefix) or rank == 0:
                    f.seek(nbytes, 1)
                    continue
                raw = f.read(nbytes)
                if len(raw) != nbytes:
                    raise _unreadable(p, "truncated file")
                if dtype == _BF16:
                    bits = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
                    arr = bits.view(np.float32)
                elif dtype in (0, 4):
                    arr = np.frombuffer(raw, dtype=_DTYPES[dtype]).astype(np.float32)
                else:
                    raise BackendUnavailable(
                        f"Le modèle Whisper {p} est quantifié ({name} en entiers) : il faut les poids en "
                        "float16/float32 (conversion CTranslate2 sans --quantization)",
                        f"The Whisper model {p} is quantised ({name} stored as integers): float16/float32 "
                        "weights are needed (CTranslate2 conversion without --quantization)",
                    )
                out[name] = arr.reshape(dims)
            (aliases,) = read("I")
            for _ in range(aliases):
                alias, target = read_string(), read_string()
                if alias.startswith(prefix) and target in out:
                    out[alias] = out[target]
    except FileNotFoundError:
        raise BackendUnavailable(f"model.bin absent : {p}", f"model.bin not found: {p}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise _unreadable(p, str(exc)) from None
    return out


def bf16_is_native() -> bool:
    """True when the CPU multiplies bfloat16 natively (Linux flags avx512_bf16 / amx_bf16)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


@dataclass
class _Layer:
    sa_ln: tuple[Any, Any]
    sa_qkv: tuple[Any, Any]
    sa_out: tuple[Any, Any]
    ca_ln: tuple[Any, Any]
    ca_q: tuple[Any, Any]
    ca_kv: tuple[Any, Any]
    ca_out: tuple[Any, Any]
    ff_ln: tuple[Any, Any]
    ff_in: tuple[Any, Any]
    ff_out: tuple[Any, Any]


def alignment_heads(model_dir: Path, layers: int, heads: int) -> dict[int, list[int]]:
    """Layer -> cross-attention heads that follow the audio (the model's `alignment_heads` in
    config.json, as Whisper's word timestamps use them; else every head of the upper half)."""
    import json

    out: dict[int, list[int]] = {}
    try:
        pairs = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("alignment_heads") or []
        for layer, head in pairs:
            if 0 <= int(layer) < layers and 0 <= int(head) < heads:
                out.setdefault(int(layer), []).append(int(head))
    except (OSError, ValueError, TypeError):
        out = {}
    return out or {layer: list(range(heads)) for layer in range(layers // 2, layers)}


class WhisperDecoder:
    """Cached, batched decoding steps of Whisper's decoder.

    `cross(encoder_output)` prepares the per-utterance cross-attention keys/values once;
    `step(tokens, offset, cache, cross)` runs S new tokens for B rows (all rows at the same
    position `offset`) and returns float32 log-probabilities (B, S, vocab) and the new cache;
    `reorder(cache, rows)` follows the beam's choices.
    """

    def __init__(self, model_dir: str | Path, dtype: str = "auto") -> None:
        import torch

        self.torch = torch
        weights = read_ct2_variables(Path(model_dir) / "model.bin")
        try:
            emb = weights["decoder/embeddings/weight"]
            pos = weights["decoder/position_encodings/encodings"]
        except KeyError as exc:
            raise _unreadable(Path(model_dir) / "model.bin", f"missing {exc}") from None
        if dtype == "auto":
            dtype = "bfloat16" if bf16_is_native() else "float32"
        if dtype not in ("bfloat16", "float32"):
            raise ValueError(f"projection dtype must be auto, bfloat16 or float32, not {dtype!r}")
        self.dtype_name = dtype  # of the output projection; the layers are float32
        self.dtype = torch.float32
        self.width = emb.shape[1]
        self.vocab = emb.shape[0]
        self.max_positions = pos.shape[0]
        self.adapter: Any = None  # the domain adapter's weights (`set_adapter`), if any
        self.layers_n = sum(1 for k in weights if k.endswith("/self_attention/linear_0/weight"))
        heads = self.width // 64
        self.heads = heads
        self.head_dim = self.width // heads
        self.alignment_heads = alignment_heads(Path(model_dir), self.layers_n, heads)
        self._alignment_index = {layer: torch.as_tensor(h, dtype=torch.long) for layer, h in self.alignment_heads.items()}
        # The alignment heads' cross-attention keys, transposed, of the last `cross` used (a step
        # reads them for every row: selected once per utterance, not once per step).
        self._alignment_keys: tuple[Any, dict[int, Any]] = (None, {})
        self.last_alignment: Any = None  # (B, S, frames) after a step(..., align=True)

        def t(name: str) -> Any:
            return torch.from_numpy(np.ascontiguousarray(weights[name])).to(self.dtype)

        def pair(prefix: str, a: str = "gamma", b: str = "beta") -> tuple[Any, Any]:
            return t(f"{prefix}/{a}"), t(f"{prefix}/{b}")

        def lin(prefix: str) -> tuple[Any, Any]:
            return pair(prefix, "weight", "bias")

        self.embeddings = t("decoder/embeddings/weight")
        proj_dtype = torch.bfloat16 if dtype == "bfloat16" else torch.float32
        self.projection = self.embeddings.to(proj_dtype)
        self.proj_dtype = proj_dtype
        # The float32 projection runs on slices of the vocabulary (views, no copy): each logit is
        # the same dot product, bit for bit, but a slice's weights stay in the cache while the
        # rows are multiplied (measured here: 20-25 % less CPU for 4-13 rows). The bfloat16 path
        # is left whole (not checked on a CPU that has it).
        self.projection_parts = ([self.projection[i:i + PROJECTION_SLICE]
                                  for i in range(0, self.vocab, PROJECTION_SLICE)]
                                 if proj_dtype == torch.float32 else [self.projection])
        self.positions = t("decoder/position_encodings/encodings")
        self.final_ln = pair("decoder/layer_norm")
        self.layers: list[_Layer] = []
        for i in range(self.layers_n):
            p = f"decoder/layer_{i}"
            self.layers.append(_Layer(
                sa_ln=pair(f"{p}/self_attention/layer_norm"), sa_qkv=lin(f"{p}/self_attention/linear_0"),
                sa_out=lin(f"{p}/self_attention/linear_1"), ca_ln=pair(f"{p}/attention/layer_norm"),
                ca_q=lin(f"{p}/attention/linear_0"), ca_kv=lin(f"{p}/attention/linear_1"),
                ca_out=lin(f"{p}/attention/linear_2"), ff_ln=pair(f"{p}/ffn/layer_norm"),
                ff_in=lin(f"{p}/ffn/linear_0"), ff_out=lin(f"{p}/ffn/linear_1"),
            ))

    # ------------------------------------------------------------------ per utterance
    def _kv(self, encoder_output: np.ndarray) -> list[tuple[Any, Any]]:
        torch = self.torch
        F = torch.nn.functional
        with torch.inference_mode():
            enc = torch.from_numpy(np.ascontiguousarray(encoder_output, dtype=np.float32)).to(self.dtype)
            if enc.dim() == 2:
                enc = enc[None]
            out = []
            for layer in self.layers:
                k, v = F.linear(enc, *layer.ca_kv).split(self.width, -1)
                out.append((self._heads(k), self._heads(v)))
        return out

    def set_silence(self, silence_output: np.ndarray) -> None:
        """Keys/values of the encoder's output for a long silence, computed once (see `cross`)."""
        self._silence = self._kv(silence_output)

    def cross(self, encoder_output: np.ndarray, frames: int = 0) -> list[tuple[Any, Any]]:
        """Cross-attention keys and values of every layer for one utterance: (1, H, T, d) each.

        With `frames` > T and `set_silence` done, the utterance's frames are followed by the
        silence frames T..frames: the decoder then reads what looks like a long window holding the
        command and silence - Whisper's training condition - for the price of encoding the command
        alone. Measured on natural-voice commands (greedy decoding, character similarity to the
        words said): 0.61 encoding the command + 1 s alone, 0.79 with the silence tail to 30 s,
        0.82 encoding the whole 30 s window (about 6x the encoder time)."""
        own = self._kv(encoder_output)
        silence = getattr(self, "_silence", None)
        length = own[0][0].shape[2]
        if silence is None or frames <= length:
            return own
        torch = self.torch
        end = min(frames, silence[0][0].shape[2])
        return [(torch.cat([k, sk[:, :, length:end]], 2), torch.cat([v, sv[:, :, length:end]], 2))
                for (k, v), (sk, sv) in zip(own, silence)]

    def _heads(self, x: Any) -> Any:
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    # ------------------------------------------------------------------ steps
    def step(self, tokens: Any, offset: int, cache: list[tuple[Any, Any]] | None,
             cross: list[tuple[Any, Any]], *, align: bool = False,
             pad: list[int] | None = None, read: list[int] | None = None,
             adapt: list[bool] | None = None) -> tuple[Any, list[tuple[Any, Any]]]:
        """Log-probabilities (float32, (B, S, vocab)) after each of the S new tokens of B rows
        (with `read`, only after those of the S positions: (B, len(read), vocab); projecting a
        position onto the 51,865-token vocabulary costs more than the decoder layers, and the last
        layer's attention output and feed-forward then run for those positions only).
        With `align`, `last_alignment` holds the alignment heads' mean cross-attention (B, S,
        frames; (B, len(read), frames) with `read`): where in the audio the model looks for the
        next token. `pad`: per row, how many
        leading positions are padding: no token attends to them and the row's positions count
        from the first real one, so a row without a prompt shares a batch with prompted rows and
        decodes as if alone. `adapt`: per row, whether the domain adapter (`set_adapter`) applies
        to it (the grammar rows); rows without it, and every row when it is None, run the base
        model: the free row and the language / no-speech probabilities stay an independent witness."""
        x, new_cache = self._forward(tokens, offset, cache, cross, align=align, pad=pad, adapt=adapt, keep=read)
        return self.project(x), new_cache

    def hidden(self, tokens: Any, cross: list[tuple[Any, Any]]) -> Any:
        """Final hidden states (B, S, width) of whole sequences, without projecting them: teacher
        forcing projects only the positions it reads (`rescoring.Rescorer.force_score`)."""
        return self._forward(tokens, 0, None, cross)[0]

    def extend(self, tokens: Any, offset: int, cache: list[tuple[Any, Any]] | None,
               cross: list[tuple[Any, Any]]) -> tuple[Any, list[tuple[Any, Any]]]:
        """Final hidden states (B, S, width) of S new tokens per row after a cached prefix of
        `offset` positions (several tokens at once, unlike `step`), and the extended cache:
        teacher forcing of sentences that share a prefix computes the prefix once."""
        return self._forward(tokens, offset, cache, cross)

    def set_adapter(self, adapter: Any) -> None:
        """Low-rank deltas (`adapter.LoraWeights`) added to some of the layers' projections for the
        rows a step marks with `adapt`; None removes them."""
        self.adapter = adapter

    def _forward(self, tokens: Any, offset: int, cache: list[tuple[Any, Any]] | None,
                 cross: list[tuple[Any, Any]], align: bool = False,
                 pad: list[int] | None = None, adapt: list[bool] | Any = None,
                 lora: Any = None, keep: list[int] | None = None) -> tuple[Any, list[tuple[Any, Any]]]:
        """`lora` (training): deltas applied to every row, with gradients; cross keys/values may
        then be per row ((B, H, T, d)) instead of shared. `keep`: the only positions whose final
        hidden states are returned (B, len(keep), width); the cache holds every position."""
        if lora is not None:  # the caller decides whether gradients are tracked
            return self._layers(tokens, offset, cache, cross, align, pad, adapt, lora, keep)
        with self.torch.inference_mode():
            return self._layers(tokens, offset, cache, cross, align, pad, adapt, lora, keep)

    def _layers(self, tokens: Any, offset: int, cache: list[tuple[Any, Any]] | None,
                cross: list[tuple[Any, Any]], align: bool, pad: list[int] | None, adapt: Any,
                lora: Any, keep: list[int] | None = None) -> tuple[Any, list[tuple[Any, Any]]]:
        torch = self.torch
        F = torch.nn.functional
        tokens = torch.as_tensor(tokens, dtype=torch.long)
        if tokens.dim() == 1:
            tokens = tokens[:, None]
        b, s = tokens.shape
        if lora is None and adapt is not None and self.adapter is not None and any(adapt):
            lora = self.adapter
            rows = torch.as_tensor([1.0 if a else 0.0 for a in adapt], dtype=self.dtype)[:, None, None]
        else:
            rows = None

        def delta(name: str, i: int, h: Any) -> Any:
            # A low-rank update of one projection (zero for rows the adapter does not apply to).
            d = lora.delta(name, i, h)
            return d if rows is None else d * rows
        if offset + s > self.max_positions:
            raise ValueError(f"Whisper's decoder holds {self.max_positions} positions")
        mask = None
        if pad is not None and any(pad):
            shift = torch.as_tensor(pad, dtype=torch.long)[:, None]
            where = offset + torch.arange(s)[None, :]  # (1, s): the new tokens' slots
            x = self.embeddings[tokens] + self.positions[(where - shift).clamp(min=0)]
            keys = torch.arange(offset + s)[None, None, :]  # (1, 1, L): every key slot
            mask = (keys >= shift[:, :, None]) & (keys <= where[:, :, None])
            # A padding slot attends to itself (a row of nothing but masked keys gives NaN).
            mask = (mask | (keys == where[:, :, None]))[:, None]  # (B, 1, s, L)
        else:
            x = self.embeddings[tokens] + self.positions[offset:offset + s]
            if s > 1 and cache is not None:
                # Several new tokens after a cache: new token i sees the prefix and new tokens 0..i
                # (the padded mask above is causal too).
                mask = torch.ones(s, offset + s, dtype=torch.bool).tril(offset)
        new_cache: list[tuple[Any, Any]] = []
        attention = None
        for i, layer in enumerate(self.layers):
            h = F.layer_norm(x, (self.width,), *layer.sa_ln)
            q, k, v = F.linear(h, *layer.sa_qkv).split(self.width, -1)
            if lora is not None:
                q = q + delta("sa_q", i, h)
                v = v + delta("sa_v", i, h)
            q, k, v = self._heads(q), self._heads(k), self._heads(v)
            if cache is not None:
                k = torch.cat([cache[i][0], k], 2)
                v = torch.cat([cache[i][1], v], 2)
            new_cache.append((k, v))
            a = (F.scaled_dot_product_attention(q, k, v, attn_mask=mask) if mask is not None
                 else F.scaled_dot_product_attention(q, k, v, is_causal=s > 1))
            if keep is not None and i == len(self.layers) - 1:
                # The last layer's keys/values are in the cache: what follows is needed only at the
                # positions read (each position's arithmetic is the same, bit for bit).
                sel = torch.as_tensor(keep, dtype=torch.long)
                a, x = a[:, :, sel], x[:, sel]
                if attention is not None:
                    attention = attention.view(b, s, -1)[:, sel].reshape(b * len(keep), -1)
                s = len(keep)
            x = x + F.linear(a.transpose(1, 2).reshape(b, s, self.width), *layer.sa_out)
            h = F.layer_norm(x, (self.width,), *layer.ca_ln)
            q = F.linear(h, *layer.ca_q)
            if lora is not None:
                q = q + delta("ca_q", i, h)
            ck, cv = cross[i]
            if ck.shape[0] == b and b > 1:  # training: one utterance per row
                a = F.scaled_dot_product_attention(self._heads(q), ck, cv)  # (b, H, s, d)
            else:
                # Every row attends to the same encoder keys/values: fold the rows into the query
                # length (one matrix product per head) instead of expanding the keys per row.
                q = q.reshape(1, b * s, self.heads, self.head_dim).transpose(1, 2)
                a = F.scaled_dot_product_attention(q, ck, cv)  # (1, H, b*s, d)
            w = self._alignment_weights(q, cross, i) if align else None
            if w is not None:
                attention = w if attention is None else attention + w
            a = a.transpose(1, 2).reshape(b, s, self.width)
            x = x + F.linear(a, *layer.ca_out)
            if lora is not None:
                x = x + delta("ca_out", i, a)
            x = self._ffn(layer, x)
        x = F.layer_norm(x, (self.width,), *self.final_ln)
        if align:
            n_heads = sum(len(h) for h in self.alignment_heads.values())
            self.last_alignment = None if attention is None else (attention / n_heads).view(b, s, -1)
        return x, new_cache

    def _ffn(self, layer: _Layer, x: Any) -> Any:
        F = self.torch.nn.functional
        h = F.layer_norm(x, (self.width,), *layer.ff_ln)
        return x + F.linear(F.gelu(F.linear(h, *layer.ff_in)), *layer.ff_out)

    def _alignment_weights(self, q: Any, cross: list[tuple[Any, Any]], layer: int) -> Any:
        """The alignment heads' attention weights of layer `layer`, summed over them (rows, frames),
        for cross-attention queries `q` (1, H, rows, d), or None if the layer has none (sdpa does
        not return weights: the model's own word-to-audio alignment)."""
        idx = self._alignment_index.get(layer)
        if idx is None:
            return None
        torch = self.torch
        return torch.softmax((q[:, idx] @ self._alignment_keys_of(cross, layer)) * self.head_dim ** -0.5, -1).sum(1)[0]

    def first_steps(self, groups: list[list[list[int]]], reads: list[list[int]], aligns: list[bool],
                    cross: list[tuple[Any, Any]]) -> list[tuple[Any, list[tuple[Any, Any]], Any]]:
        """`step(rows, 0, None, cross, align=..., read=...)` for several groups of rows at once
        (each group's rows of one length, groups of different lengths, no cache, no adapter):
        the groups' tokens share each linear layer's one pass over the weights, attention stays
        per group. Per group: (log-probabilities (B, len(read), vocab), cache, alignment (B,
        len(read), frames) or None). Each position's arithmetic is the one `step` does.
        Why: a decoder pass over a few tokens reads all the layers' weights from memory, which
        costs about as much as the tokens' arithmetic; the search's first step has two groups
        (the prompted grammar rows, the unprompted rows)."""
        torch = self.torch
        F = torch.nn.functional
        width, heads, d = self.width, self.heads, self.head_dim
        with torch.inference_mode():
            toks = [torch.as_tensor(g, dtype=torch.long) for g in groups]
            shapes = [tuple(t.shape) for t in toks]
            x = torch.cat([(self.embeddings[t] + self.positions[:t.shape[1]]).reshape(-1, width) for t in toks])
            caches: list[list[tuple[Any, Any]]] = [[] for _ in groups]
            attention: list[Any] = [None] * len(groups)
            last = len(self.layers) - 1
            for i, layer in enumerate(self.layers):
                h = F.layer_norm(x, (width,), *layer.sa_ln)
                qkv = F.linear(h, *layer.sa_qkv).split([b * s for b, s in shapes], 0)
                outs, kept = [], []
                for gi, ((b, s), part) in enumerate(zip(shapes, qkv)):
                    q, k, v = (self._heads(t) for t in part.view(b, s, 3 * width).split(width, -1))
                    caches[gi].append((k, v))
                    a = F.scaled_dot_product_attention(q, k, v, is_causal=s > 1)
                    if i == last:  # as `step` with `read`
                        sel = torch.as_tensor(reads[gi], dtype=torch.long)
                        a = a[:, :, sel]
                        start = sum(bb * ss for bb, ss in shapes[:gi])
                        kept.append(x[start:start + b * s].view(b, s, width)[:, sel].reshape(-1, width))
                        if attention[gi] is not None:
                            attention[gi] = attention[gi].view(b, s, -1)[:, sel].reshape(b * len(reads[gi]), -1)
                        s = len(reads[gi])
                    outs.append(a.transpose(1, 2).reshape(b * s, width))
                if i == last:
                    x = torch.cat(kept)
                    shapes = [(b, len(r)) for (b, _), r in zip(shapes, reads)]
                x = x + F.linear(torch.cat(outs), *layer.sa_out)
                q_all = F.linear(F.layer_norm(x, (width,), *layer.ca_ln), *layer.ca_q)
                ck, cv = cross[i]
                outs = []
                start = 0
                for gi, (b, s) in enumerate(shapes):
                    q = q_all[start:start + b * s].reshape(1, b * s, heads, d).transpose(1, 2)
                    start += b * s
                    outs.append(F.scaled_dot_product_attention(q, ck, cv).transpose(1, 2).reshape(b * s, width))
                    w = self._alignment_weights(q, cross, i) if aligns[gi] else None
                    if w is not None:
                        attention[gi] = w if attention[gi] is None else attention[gi] + w
                x = self._ffn(layer, x + F.linear(torch.cat(outs), *layer.ca_out))
            x = F.layer_norm(x, (width,), *self.final_ln)
            lp = self.project(x).split([b * s for b, s in shapes], 0)
            n_heads = sum(len(h) for h in self.alignment_heads.values())
            return [(part.view(b, s, -1), cache, None if att is None else (att / n_heads).view(b, s, -1))
                    for part, (b, s), cache, att in zip(lp, shapes, caches, attention)]

    def _alignment_keys_of(self, cross: list[tuple[Any, Any]], layer: int) -> Any:
        """Layer `layer`'s alignment heads' keys of `cross`, transposed (B, heads, d, T); kept for
        the `cross` object last seen (held, so that its memory is not reused by another)."""
        owner, keys = self._alignment_keys
        if owner is not cross:
            keys = {}
            self._alignment_keys = (cross, keys)
        out = keys.get(layer)
        if out is None:
            out = keys[layer] = cross[layer][0][:, self._alignment_index[layer]].transpose(-1, -2)
        return out

    def project(self, hidden: Any) -> Any:
        """Log-probabilities over the vocabulary (float32) from final hidden states."""
        torch = self.torch
        F = torch.nn.functional
        h = hidden.to(self.proj_dtype)
        parts = self.projection_parts
        logits = (F.linear(h, parts[0]) if len(parts) == 1 else torch.cat([F.linear(h, w) for w in parts], -1)).float()
        return torch.log_softmax(logits, -1)

    def reorder(self, cache: list[tuple[Any, Any]], rows: list[int]) -> list[tuple[Any, Any]]:
        index = self.torch.as_tensor(rows, dtype=self.torch.long)
        return [(k.index_select(0, index), v.index_select(0, index)) for k, v in cache]
