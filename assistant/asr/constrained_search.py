"""Beam search of Whisper's decoder through the grammar's token automaton, both languages at once.

One search per utterance:

1. The prompt `<|startoftranscript|> <|lang|> <|transcribe|> <|notimestamps|>` is run once for
   every grammar language (one batch). The distribution after `<|startoftranscript|>` gives the
   no-speech probability and the language log-probabilities; the language token is the first
   token of every path, so French and English sentences compete in one beam (no second decoder).
2. Each step runs the decoder once for all live hypotheses (with a key/value cache), takes the
   full-vocabulary log-softmax, and extends each hypothesis only with the tokens its frontier
   allows. Hypotheses that reach the same frontier are merged (the better one is kept). The beam
   keeps up to `beam` hypotheses *per language*: the language token alone must not push a
   language out in the first steps (a short French word can have a better English prior).
3. A hypothesis whose frontier can end the sentence is *finished* with the probability that the
   sentence ends there: end-of-text or a closing punctuation mark (". ? !"). Whisper on a short
   window often repeats a sentence instead of emitting end-of-text, and it writes cut-off
   sentences freely too ("Go Long 47" for "go long forty seven contracts of micro nasdaq"), so
   the end probability alone does not say that the sentence is over. The model's own alignment
   does: the cross-attention of its alignment heads (Whisper's word-timestamp heads, read from
   the model's config.json) at the step that would end the sentence looks where the next token's
   audio is. A sentence may end only where that look is at most `cover_s` (0.8 s) before the end
   of the speech; a sentence cut short looks at the words still to come, a finished one into the
   silence after them. Measured on the natural-voice fixtures: the right sentences' look lies
   within 0.8 s of the speech end for 98 %, the wrong finished sentences' for 43 %.
4. Finished sentences are ranked by total log-probability (language token and end included)
   plus `token_bonus` per token. A live hypothesis is dropped when its score (with the same
   bonus) falls more than `prune` nats below the best finished sentence's; since only sentences
   that reach the end of the speech finish, a cut-off sentence no longer prunes the longer paths
   that would complete it. The search stops when no hypothesis is left, or after `max_steps`
   tokens.
5. Alongside, one unconstrained greedy row (the *garbage* path) decodes freely in the most likely
   language: the rejection compares the grammar's best path with what Whisper would write
   without a grammar.
6. Optionally (`prompts`), each language's grammar row first reads a previous-text prompt
   (`<|startofprev|>` + the domain's words in that language), which moves Whisper's priors toward
   the command vocabulary. The prompt's keys/values depend on the audio (the decoder attends to
   it at every layer), so it is one more batched pass per utterance, not a cache. The garbage row
   and the language / no-speech probabilities stay unprompted (a padded row of the same batch),
   so the free decoding stays an independent witness.
7. Optionally (`max_jump_s`), a path may not leap over more than that much audio between two
   tokens, by its alignment heads' look (from the speech start for the first token): a short
   sentence for long speech ("sell MNQ" for "sell ninety eight M N Q") skips the words between.

Within a step hypotheses of equal length compete by summed log-probability; each meaning keeps
its best finished path.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .token_graph import Frontier, Meaning, TokenAutomaton
from .whisper_decoder import WhisperDecoder
from .whisper_tokenizer import WhisperTokenizer


@dataclass(frozen=True)
class Finished:
    meaning: Meaning
    tokens: tuple[int, ...]
    total: float  # log-probability: language token + tokens + end
    path_score: float  # tokens only
    end_score: float
    lang_score: float
    regret: float  # sum over tokens of (best token's log-prob - chosen token's log-prob)
    weakest: float = 0.0  # lowest share, among the tokens the grammar allowed, of a chosen token (log)
    score: float = 0.0  # total + token bonus x (tokens + end): what finished sentences are ranked by
    look_s: float = -1.0  # where in the audio the alignment heads look when the sentence ends (s)
    lowest: float = 0.0  # lowest log-probability (full vocabulary) of a chosen token
    jump_s: float = 0.0  # the longest stretch of audio the alignment heads skipped between tokens (s)

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)


@dataclass
class SearchResult:
    finished: list[Finished]  # best path of each meaning, best first
    no_speech_prob: float
    lang_logprobs: dict[str, float]
    free_tokens: tuple[int, ...] = ()
    free_logprob: float = 0.0  # mean token log-probability of the free (garbage) decode
    steps: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    cross: Any = None  # the decoder's cross-attention keys/values (forced rescoring reuses them)
    speech_end_s: float | None = None  # as given to the search

    @property
    def best(self) -> Finished | None:
        return self.finished[0] if self.finished else None

    @property
    def runner_up(self) -> Finished | None:
        return self.finished[1] if len(self.finished) > 1 else None


@dataclass
class _Hyp:
    tokens: tuple[int, ...]
    score: float
    lang_score: float
    frontier: Frontier
    row: int
    regret: float
    weakest: float = 0.0
    lowest: float = 0.0
    reach: float = 0.0  # the furthest point (s) the alignment heads looked at for this path's tokens
    jump: float = 0.0  # the longest forward jump (s) of that look from one token to the next


class ConstrainedSearch:
    """The search machinery for one model and one compiled grammar (thread-compatible: one
    search at a time per instance; the recogniser serialises)."""

    def __init__(self, decoder: WhisperDecoder, automaton: TokenAutomaton, tokenizer: WhisperTokenizer,
                 *, beam: int = 6, max_steps: int = 48, prune: float = 10.0,
                 token_bonus: float = 0.5, cover_s: float = 0.8,
                 prompts: dict[str, str] | None = None, lang_weight: float = 1.0,
                 max_jump_s: float = -1.0) -> None:
        import torch

        self.torch = torch
        self.decoder = decoder
        self.automaton = automaton
        self.tokenizer = tokenizer
        self.beam = beam
        self.max_steps = max_steps
        self.prune = prune
        self.token_bonus = token_bonus
        self.cover_s = cover_s
        self.sot = tokenizer.token_id("<|startoftranscript|>")
        self.eot = tokenizer.token_id("<|endoftext|>")
        self.transcribe = tokenizer.token_id("<|transcribe|>")
        self.notimestamps = tokenizer.token_id("<|notimestamps|>")
        nospeech = tokenizer.hf.token_to_id("<|nospeech|>")
        self.nospeech = int(nospeech if nospeech is not None else tokenizer.token_id("<|nocaptions|>"))
        self.lang_tokens = {lang: tokenizer.language_token(lang.split("-")[0]) for lang in automaton.langs}
        ends = [self.eot, *tokenizer.ids_matching(r" ?(?:[.?!…]+)")]
        self.end_ids = torch.as_tensor(sorted(set(ends)), dtype=torch.long)
        self.end_set = frozenset(ends)
        self.lang_weight = lang_weight
        self.max_jump_s = max_jump_s
        self.prefix = self._prefixes(prompts or {})

    def _prefixes(self, prompts: dict[str, str]) -> dict[str, list[int]]:
        """`<|startofprev|>` + the last tokens of each language's prompt text, all languages cut
        to the same length (the rows of one batch share positions; Whisper itself keeps the end
        of a prompt that is too long)."""
        texts = {lang: prompts.get(lang.split("-")[0]) or prompts.get(lang) for lang in self.automaton.langs}
        if not all(texts.values()):
            return {lang: [] for lang in self.automaton.langs}
        tokens = {lang: list(self.tokenizer.encode(" " + str(text).strip())) for lang, text in texts.items()}
        n = min(len(t) for t in tokens.values())
        prev = self.tokenizer.token_id("<|startofprev|>")
        return {lang: [prev, *t[len(t) - n:]] for lang, t in tokens.items()}

    def run(self, encoder_output: np.ndarray, langs: tuple[str, ...] | None = None,
            frames: int = 0, speech_end_s: float | None = None,
            speech_start_s: float | None = None) -> SearchResult:
        """Search one utterance. `frames`: extend the encoder output with silence to that many
        frames (see `WhisperDecoder.cross`). `speech_end_s`: where the speech ends in the audio; a
        sentence may end only where the model's alignment heads look at most `cover_s` before it
        (a sentence cut short looks at the words still to come)."""
        torch = self.torch
        langs = langs or self.automaton.langs
        t0 = time.perf_counter()
        cross = self.decoder.cross(encoder_output, frames)
        t_cross = time.perf_counter()
        # With prompts, each language's row reads its own previous text (the domain's words in that
        # language) before <|startoftranscript|>. The garbage row and the language / no-speech
        # probabilities stay unprompted: one more row per language, its cache padded at the front
        # to the prompt's length (masked, positions shifted: it decodes as if alone), which shows
        # what Whisper writes without being told what to expect.
        pre = len(self.prefix[langs[0]])
        plain = [[self.sot, self.lang_tokens[lang], self.transcribe, self.notimestamps] for lang in langs]
        # Only two positions are read: after <|startoftranscript|> (language, no speech) and after
        # <|notimestamps|> (the first word).
        if pre:
            prompted = [[*self.prefix[lang], *p] for lang, p in zip(langs, plain)]
            # The unprompted rows run beside them (4 positions, not the prompt's length; one pass
            # over the weights for both groups) and join the cache behind zeros that their padding
            # masks.
            if self.decoder.adapter is None:
                (lp, cache, att), (lp_free, cache_free, _) = self.decoder.first_steps(
                    [prompted, plain], [[pre, pre + 3], [0, 3]], [True, False], cross)
            else:  # the adapter applies to the prompted rows only: two passes
                lp, cache = self.decoder.step(prompted, 0, None, cross, align=True, read=[pre, pre + 3],
                                              adapt=[True] * len(prompted))
                att = self.decoder.last_alignment
                lp_free, cache_free = self.decoder.step(plain, 0, None, cross, read=[0, 3])
            att = att[:, 1]  # read position pre + 3
            torch_cat, zeros = torch.cat, torch.zeros
            cache = [(torch_cat([k, torch_cat([zeros(kf.shape[0], kf.shape[1], pre, kf.shape[3]), kf], 2)], 0),
                      torch_cat([v, torch_cat([zeros(vf.shape[0], vf.shape[1], pre, vf.shape[3]), vf], 2)], 0))
                     for (k, v), (kf, vf) in zip(cache, cache_free)]
            lp = torch.cat([lp, lp_free], 0)
        else:
            lp, cache = self.decoder.step(plain, 0, None, cross, align=True, read=[0, 3])
            att = self.decoder.last_alignment[:, 1]  # read position 3
        unprompted = len(langs) if pre else 0
        first = lp[unprompted, 0]
        no_speech = float(first[self.nospeech].exp())
        lang_lp = {lang: float(first[self.lang_tokens[lang]]) for lang in langs}
        w = self.lang_weight
        start = speech_start_s or 0.0
        hyps = [_Hyp((), w * lang_lp[lang], w * lang_lp[lang], self.automaton.initial(lang), i, 0.0,
                     reach=start) for i, lang in enumerate(langs)]
        max_jump = self.max_jump_s if self.max_jump_s >= 0 else math.inf
        current = lp[:, 1]
        # The garbage row: free greedy decoding in the most likely language, sharing the batch.
        free_row = unprompted + max(range(len(langs)), key=lambda i: lang_lp[langs[i]])
        free: list[int] = []
        free_lps: list[float] = []
        free_live = True
        finished: dict[Meaning, Finished] = {}
        offset = pre + 4
        steps = 0
        for steps in range(1, self.max_steps + 1):
            row_max = current.max(-1).values.tolist()
            # Where each row's next token is looked for in the audio: a path whose look leaps over
            # more than `max_jump_s` of speech between two tokens has skipped words ("So 50" for
            # "sell fifty contracts"); the first token is looked for from the start of the speech.
            looks = (att.argmax(-1) * 0.02).tolist() if att is not None else None
            if free_live:
                ftok = int(current[free_row].argmax())
                free_lps.append(float(current[free_row, ftok]))
                if ftok in self.end_set or len(free) >= self.max_steps:
                    free_live = False
                else:
                    free.append(ftok)
            candidates: list[tuple[float, _Hyp, int, float, float]] = []
            for h in hyps:
                row = current[h.row]
                meanings = self.automaton.meanings(h.frontier)
                if meanings:
                    end = float(torch.logsumexp(row[self.end_ids], 0))
                    look = looks[h.row] if looks is not None else -1.0
                    # (The end is looked for in the silence after the speech: not a skip.)
                    jump = h.jump
                    if speech_end_s is not None and self.cover_s >= 0 and look < speech_end_s - self.cover_s:
                        meanings = set()
                    for m in meanings:
                        total = h.score + end
                        done = Finished(m, h.tokens, total, h.score - h.lang_score, end, h.lang_score,
                                        h.regret, h.weakest, total + self.token_bonus * (len(h.tokens) + 1), look,
                                        h.lowest, jump)
                        if m not in finished or done.score > finished[m].score:
                            finished[m] = done
                allowed = self.automaton.allowed(h.frontier)
                if not len(allowed):
                    continue
                values = row[torch.from_numpy(allowed)]
                # How clearly each token wins among what the grammar allows here: a quantity
                # decided at 55 % against another number is doubt, whatever the total score.
                local = float(torch.logsumexp(values, 0))
                k = min(self.beam, len(allowed))
                top = torch.topk(values, k)
                for v, i in zip(top.values.tolist(), top.indices.tolist()):
                    candidates.append((h.score + v, h, int(allowed[i]), v, v - local))
            candidates.sort(key=lambda c: -c[0])
            # Scores are compared per token: a live path whose mean is already far below the best
            # finished sentence's is dropped (its next tokens would have to be near-certain).
            best = max(finished.values(), key=lambda f: f.score, default=None)
            floor = best.score - self.prune if best else -math.inf
            chosen: list[_Hyp] = []
            seen: set[Frontier] = set()
            per_lang = dict.fromkeys(range(len(self.automaton.langs)), 0)
            for score, h, tok, v, share in candidates:
                if score + self.token_bonus * (len(h.tokens) + 1) < floor:
                    continue
                lang = h.frontier.lang
                if per_lang[lang] >= self.beam:
                    continue
                look = looks[h.row] if looks is not None else h.reach
                jump = max(h.jump, look - h.reach)
                if jump > max_jump:
                    continue
                frontier = self.automaton.advance(h.frontier, tok)
                if frontier.empty or frontier in seen:
                    continue
                seen.add(frontier)
                per_lang[lang] += 1
                chosen.append(_Hyp(h.tokens + (tok,), score, h.lang_score, frontier, h.row,
                                   h.regret + row_max[h.row] - v, min(h.weakest, share), min(h.lowest, v),
                                   max(h.reach, look), jump))
                if len(chosen) >= self.beam * len(per_lang):
                    break
            if not chosen or offset + 1 >= self.decoder.max_positions:
                break
            rows = [h.row for h in chosen]
            tokens = [h.tokens[-1] for h in chosen]
            if free_live:
                rows.append(free_row)
                tokens.append(free[-1])
            cache = self.decoder.reorder(cache, rows)
            for i, h in enumerate(chosen):
                h.row = i
            free_row = len(chosen)
            pad = [0] * len(chosen) + [pre] if free_live and pre else None
            # The domain adapter (if the decoder has one) applies to the grammar rows only, with the
            # prompt (the layout it was trained on); the free row stays the base model.
            adapt = [bool(pre)] * len(chosen) + ([False] if free_live else [])
            current, cache = self.decoder.step(tokens, offset, cache, cross, align=True, pad=pad, adapt=adapt)
            current = current[:, 0]
            att = self.decoder.last_alignment[:, 0] if self.decoder.last_alignment is not None else None
            offset += 1
            hyps = chosen
        ranked = sorted(finished.values(), key=lambda f: -f.score)
        t_end = time.perf_counter()
        return SearchResult(
            finished=ranked, no_speech_prob=no_speech, lang_logprobs=lang_lp, free_tokens=tuple(free),
            free_logprob=float(np.mean(free_lps)) if free_lps else 0.0, steps=steps,
            timings={"cross_s": t_cross - t0, "search_s": t_end - t_cross}, cross=cross,
            speech_end_s=speech_end_s,
        )


def meaning_posteriors(result: SearchResult) -> list[tuple[Meaning, float]]:
    """Each finished meaning's share of the probability of all finished paths (best first)."""
    if not result.finished:
        return []
    top = result.finished[0].score
    weights = [math.exp(f.score - top) for f in result.finished]
    total = sum(weights)
    return [(f.meaning, w / total) for f, w in zip(result.finished, weights)]


def describe(finished: list[Finished], tokenizer: WhisperTokenizer, limit: int = 5) -> list[dict[str, Any]]:
    """The first finished paths of a list, for diagnostics."""
    return [{"intent": f.meaning.intent, "slots": f.meaning.as_dict(), "lang": f.meaning.lang,
             "surface": tokenizer.decode(f.tokens), "score": round(f.score, 3), "end": round(f.end_score, 3),
             "regret": round(f.regret, 3), "look_s": round(f.look_s, 2), "n": f.n_tokens} for f in finished[:limit]]
