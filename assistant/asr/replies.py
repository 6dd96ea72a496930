"""The reply gate of `whisper-grammar` in a confirmation context (assistant/asr/context.py).

After a read-back MIA waits for yes / no. The full search is not enough there: Whisper base's
prior for a short French word is poor, and "oui" comes out as the English grammar sentence " Buy"
on every French voice. In a confirmation context the recogniser also scores the *reply
sentences* of the grammar (the `replies:` of the confirm and cancel intents of every language,
several written forms: " Oui", " oui", " Yes", " Annule", " Non merci" ...) by teacher forcing on
the same encoder output, in one decoder batch (`Rescorer.force_score`), with:

* the search's first finished sentences of *other* intents (a command said during the read-back
  competes as itself: "non, vends plutôt deux ES", "ferme tout");
* the free (garbage) decoding, scored the same way: what Whisper writes freely is the reference
  a reply sentence must come close to (speech outside the expected replies decodes freely into
  something else).

Scores are `rescoring.combine`: mean token log-probability, the end of the sentence counted as
one more token and clipped. The decision (`ReplyGate`) is asymmetric: a "non", a cough or a
command taken for confirm executes an order, a "oui" taken for cancel costs a repetition. So
confirm needs larger margins over cancel and over the commands; cancel is looser. The thresholds were calibrated
on the calibration voices and checked on the held-out voices (bench/asr_replies.py, docs/asr.md
"Reply contexts").
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from assistant.grammar.model import Grammar

from .constrained_search import Finished
from .rescoring import Candidate, Rescorer, combine
from .token_graph import Meaning, TokenAutomaton
from .whisper_tokenizer import WhisperTokenizer

REPLY_INTENTS = ("confirm", "cancel")

#: The reply sentences scored in a confirmation context are the grammar's: the `replies:` key of the
#: confirm and cancel intents of each language (grammars/*.yaml). Each must be a *spoken* sentence
#: of the grammar with that intent (the typed-only "ok", "go", "sure" are not paths of the automaton
#: and are dropped), checked when the scorer is built.
ReplyForms = dict[str, dict[str, tuple[str, ...]]]


def reply_forms(grammar: Grammar) -> ReplyForms:
    """{language: {intent: reply sentences}} of the grammar's confirm and cancel intents."""
    out: ReplyForms = {}
    for lang, language in grammar.languages.items():
        forms = {i: language.intents[i].replies for i in REPLY_INTENTS
                 if i in language.intents and language.intents[i].replies}
        if forms:
            out[lang] = forms
    return out


#: The sentences are extended from the prompt's cache in one decoder call per bucket of lengths
#: (tokens, at most): a call costs the cross-attention of every padded position, and each call
#: reads the decoder's weights once.
BUCKETS = (2, 4, 8)

#: Other-intent sentences of the search scored beside the replies (the best first).
COMMANDS = 3


@dataclass(frozen=True)
class ReplyGate:
    """Acceptance thresholds (nats per token) of the best reply meaning: its score minus the other
    meaning's (`margin`), minus the best other-intent sentence of the search's (`command`), minus the
    free decoding's (`free`), each at least the threshold of its meaning. Calibrated with
    `python bench/asr_replies.py ... --fit` on the calibration voices (docs/asr.md, "Reply
    contexts"). Also measured and not used: Whisper's no-speech probability (0.28 to 0.88 on the short
    answers, 0.15 to 0.81 on noise and out-of-domain speech) and the speech's duration (in babble
    the endpointed segment is mostly noise: 4 s for a "yes")."""

    confirm_margin: float = 0.95
    confirm_command: float = 1.6
    confirm_free: float = -1.0
    cancel_margin: float = 0.45
    cancel_command: float = 0.35
    cancel_free: float = -1.0

    def accepts(self, f: dict[str, Any]) -> bool:
        """`f`: the features of `ReplyScorer.score` (their `meaning` says which thresholds apply)."""
        if f.get("meaning") not in REPLY_INTENTS:
            return False
        c = "confirm_" if f["meaning"] == "confirm" else "cancel_"
        t = asdict(self)
        return bool(f["margin"] >= t[c + "margin"] and f["command"] >= t[c + "command"]
                    and f["free"] >= t[c + "free"])


@dataclass(frozen=True)
class ReplyScore:
    candidate: Candidate | None  # the best reply sentence (None: no reply sentence in the grammar)
    features: dict[str, Any]


class ReplyScorer:
    """The reply sentences of the grammar as token paths, and their forced scores on one utterance."""

    def __init__(self, automaton: TokenAutomaton, tokenizer: WhisperTokenizer, rescorer: Rescorer,
                 forms: ReplyForms) -> None:
        self.automaton = automaton
        self.forms = forms
        self.tokenizer = tokenizer
        self.rescorer = rescorer
        self.candidates = self._candidates()

    def _candidates(self) -> list[Candidate]:
        out: list[Candidate] = []
        seen: set[tuple[str, tuple[int, ...]]] = set()
        for lang in self.automaton.langs:
            for intent, forms in self.forms.get(lang, {}).items():
                for form in forms:
                    for written in {form, form.replace("-", " ")}:
                        # Whisper starts a transcript with a capital: " Oui", " Non merci" (the
                        # lowercase forms cost as much to score and were never the best, bench/asr_replies.py).
                        tokens = tuple(self.tokenizer.encode(" " + written[:1].upper() + written[1:]))
                        if (lang, tokens) in seen:
                            continue
                        seen.add((lang, tokens))
                        meanings = self.rescorer.meanings(lang, tokens)
                        if meanings and {m.intent for m in meanings} == {intent}:
                            out.append(Candidate(min(meanings, key=repr), tokens, "reply"))
        return out

    def force_score(self, cross: Any, cands: list[Candidate]) -> list[tuple[float, float]]:
        """(summed token log-probability, end log-probability) of each candidate, as
        `Rescorer.force_score` computes them, but with the prompt of each language decoded once and
        the candidates extended from its cache in a few batches of similar lengths (`BUCKETS`), each distinct
        prefix projected once."""
        r = self.rescorer
        dec = r.decoder
        torch = dec.torch
        out: list[tuple[float, float]] = [(0.0, 0.0)] * len(cands)
        end_ids = torch.as_tensor(r.end_ids)
        for lang in sorted({c.meaning.lang for c in cands}):
            prompt = [r.sot, r.lang_tokens[lang], r.transcribe, r.notimestamps]
            with torch.inference_mode():
                hidden0, cache = dec.extend([prompt], 0, None, cross)
                first = dec.project(hidden0[:, -1])[0]  # what follows the prompt
            mine = sorted((i for i, c in enumerate(cands) if c.meaning.lang == lang), key=lambda i: len(cands[i].tokens))
            empty = [i for i in mine if not cands[i].tokens]
            for i in empty:
                out[i] = (0.0, float(torch.logsumexp(first[end_ids], 0)))
            rest = [i for i in mine if cands[i].tokens]
            edges = [0, *BUCKETS, max(len(cands[i].tokens) for i in rest)] if rest else []
            groups = [[i for i in rest if lo < len(cands[i].tokens) <= hi] for lo, hi in zip(edges, edges[1:])]
            for group in (g for g in groups if g):
                width = len(cands[group[-1]].tokens)
                batch = [list(cands[i].tokens) + [r.end_ids[0]] * (width - len(cands[i].tokens)) for i in group]
                with torch.inference_mode():
                    rows = [(k.expand(len(group), -1, -1, -1), v.expand(len(group), -1, -1, -1)) for k, v in cache]
                    hidden, _ = dec.extend(batch, len(prompt), rows, cross)
                    # Project each distinct prefix once (" Oui", " Oui oui", " Oui vas y" share " Oui"):
                    # the projection over the vocabulary is most of the cost.
                    index: dict[tuple[int, ...], int] = {}
                    at: list[tuple[int, int]] = []
                    for b, i in enumerate(group):
                        for j in range(len(cands[i].tokens)):
                            key = cands[i].tokens[:j + 1]
                            if key not in index:
                                index[key] = len(at)
                                at.append((b, j))
                    lp = dec.project(hidden[torch.as_tensor([a[0] for a in at]), torch.as_tensor([a[1] for a in at])])
                    for i in group:
                        toks = cands[i].tokens
                        total = float(first[toks[0]]) + sum(float(lp[index[toks[:j + 1]], toks[j + 1]])
                                                            for j in range(len(toks) - 1))
                        out[i] = (total, float(torch.logsumexp(lp[index[toks], end_ids], 0)))
        return out

    def score(self, cross: Any, finished: list[Finished], free_tokens: tuple[int, ...], free_lang: str,
              speech_s: float, no_speech: float) -> ReplyScore:
        """Force-score the reply sentences, the search's first other-intent sentences and the free
        decoding on the utterance (`cross`); the features the gate reads."""
        replies = list(self.candidates)
        known = {(c.meaning.lang, c.tokens) for c in replies}
        for f in finished:  # the search's own reply sentences ("C'est ça") compete as replies
            if f.meaning.intent in REPLY_INTENTS and (f.meaning.lang, f.tokens) not in known:
                replies.append(Candidate(f.meaning, f.tokens, "search"))
        commands = [Candidate(f.meaning, f.tokens, "search") for f in finished
                    if f.meaning.intent not in REPLY_INTENTS][:COMMANDS]
        free = Candidate(Meaning(free_lang, "<free>", ()), free_tokens, "free")
        cands = [*replies, *commands, free]
        raw = self.force_score(cross, cands)
        scores = [combine(t, len(c.tokens), e) for c, (t, e) in zip(cands, raw)]
        best: dict[str, tuple[float, Candidate]] = {}
        for c, s in zip(replies, scores):
            if c.meaning.intent not in best or s > best[c.meaning.intent][0]:
                best[c.meaning.intent] = (s, c)
        if not best:
            return ReplyScore(None, {"meaning": None})
        meaning = max(best, key=lambda k: best[k][0])
        top, cand = best[meaning]
        other = max((s for k, (s, _) in best.items() if k != meaning), default=-math.inf)
        command = max(scores[len(replies):len(replies) + len(commands)], default=-math.inf)
        cap = 10.0
        features = {
            "meaning": meaning, "score": round(top, 4), "lang": cand.meaning.lang,
            "surface": self.tokenizer.decode(cand.tokens),
            "margin": round(min(cap, top - other), 4), "command": round(min(cap, top - command), 4),
            "free": round(min(cap, top - scores[-1]), 4), "speech_s": round(speech_s, 3),
            "no_speech": round(no_speech, 4),
            "command_surface": self.tokenizer.decode(commands[0].tokens) if commands else None,
            # Raw scores, for bench/asr_replies.py (a gate over a subset of the sentences, offline).
            "command_score": round(command, 4) if math.isfinite(command) else None, "free_score": round(scores[-1], 4),
            "scores": [[c.meaning.intent, c.meaning.lang, self.tokenizer.decode(c.tokens), c.source, round(sc, 4)]
                       for c, sc in zip(replies, scores)],
        }
        return ReplyScore(cand, features)


__all__ = ["COMMANDS", "REPLY_INTENTS", "ReplyForms", "ReplyGate", "ReplyScore", "ReplyScorer", "reply_forms"]
