"""PocketSphinx proposes, Whisper verifies: the English recogniser `pocketsphinx-verified`.

PocketSphinx on the grammar's JSGF is cheap and its best sentence is usually right (97 % of the
clean fixture commands), but not always ("forty" heard "four", "start trading" for "stop
trading") and its own gate acts on some out-of-domain speech. Whisper base, forced to score a few
candidate sentences, tells them apart well, yet its own grammar search finds the right sentence
too rarely. Here each does what it is good at. Per utterance:

1. PocketSphinx decodes while the audio streams in (`feed`); its sentence is the *proposal*
   (`final()`). No proposal (no complete grammar path, silence only) -> "not understood".
2. The proposal is written in Whisper's tokens as a path of the English token automaton
   (`proposal_paths`: each PocketSphinx word in the spellings Whisper uses, spelled letters as
   one acronym, "e s" -> "ES"); its meaning is that path's.
3. The utterance is encoded once on a short window (`whisper_encoder.py`: utterance + `pad_s`,
   then the cached encoding of silence up to Whisper's 30 s); one teacher-forced pass of the
   proposal (`_anchor`) serves the free decoding and the scoring.
4. Whisper decodes freely (greedy, English: the *garbage* row), speculatively along the proposal:
   while its choice is the proposal's next token, no decoder step is needed. When the free text
   is itself a grammar sentence ("Sell 5 ES at 5,087.75"), it is a candidate too.
5. Candidates: the proposal, the free sentence, the grammar's *confusable competitors* of the
   proposal (`rescoring.Rescorer.competitors`: one slot word - number, side, symbol - replaced,
   removed or inserted) and its one-word swaps (`word_competitors`: any word replaced by any word
   of the grammar, or removed: "start" / "stop" trading, "buy" / "sell"), only edits with another
   meaning. All are teacher-forced with the prefix they share with the proposal computed once
   (`_force_score`) and scored by mean token log-probability, end clipped (`rescoring.combine`);
   a meaning scores its best candidate.
6. Accept the proposal's meaning only when it is also Whisper's best meaning with a margin of at
   least `margin` nats over the best different meaning, the proposal is not much less likely
   than what Whisper writes freely (`max_gap` nats per token: speech outside the grammar makes
   every grammar sentence far less likely than the free text), and PocketSphinx's own fit is at
   least `min_ps_confidence`. Otherwise "not understood" (`out_of_grammar`, empty text,
   `detail["reason"]`).

The thresholds were fitted on calibration voices and tested on held-out voices
(`bench/asr_verify.py`, figures in docs/asr.md).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import GrammarError, Partial, Recognizer, Transcript

if TYPE_CHECKING:
    from .rescoring import Candidate
    from .token_graph import Frontier, Meaning

BACKEND = "pocketsphinx-verified"
SAMPLE_RATE = 16000
MIN_AUDIO_S = 0.1
MAX_AUDIO_S = 28.0
MAX_FREE_TOKENS = 40
WORD_COMPETITORS = 24  # one-word swaps kept as competitors
PER_MEANING = 3  # writings kept per other meaning


@dataclass(frozen=True)
class VerifySettings:
    """Decision thresholds (calibrated by bench/asr_verify.py on the calibration voices)."""

    # Fitted on the calibration voices (bench/asr_verify.py --fit, docs/asr.md): margin 0.1,
    # PocketSphinx confidence 0.2, gap 3.0, no agreement / coverage / no-speech condition; the
    # margin shipped with 0.2 of safety.
    margin: float = 0.3  # nats of mean token log-probability over the best different meaning
    agreement: float = 0.0  # similarity of the proposal to Whisper's free decoding
    coverage: float = 0.0  # proposal length / free decoding length
    max_no_speech: float = 1.0  # Whisper's no-speech probability (high on short commands: unused)
    max_gap: float = 3.0  # free decoding's mean token log-probability minus the proposal's
    min_ps_confidence: float = 0.2  # PocketSphinx's own fit x coverage (0..1)
    pad_s: float = 1.0
    window_frames: int = 1500
    threads: int = 1
    ps_settings: Any = None  # PocketsphinxSettings | None


@dataclass(frozen=True)
class Proposal:
    meaning: Meaning
    tokens: tuple[int, ...]


class VerifiedRecognizer(Recognizer):
    """English commands: PocketSphinx proposes, Whisper verifies (see the module docstring)."""

    backend = BACKEND

    def __init__(self, model_dir: str | Path, grammar: Any, lang: str = "en",
                 settings: VerifySettings | None = None, *, jsgf: str | None = None,
                 warm_up: bool = True) -> None:
        from assistant.grammar.compile import to_jsgf
        from assistant.grammar.graph import word_graph

        from .constrained_whisper import engine_for
        from .pocketsphinx_backend import PocketsphinxRecognizer
        from .rescoring import Rescorer
        from .token_graph import TokenAutomaton

        if lang not in getattr(grammar, "languages", {}):
            raise GrammarError(f"La grammaire ne couvre pas la langue {lang}",
                               f"The grammar does not cover language {lang}")
        super().__init__(lang)
        self.settings = s = settings or VerifySettings()
        self.ps = PocketsphinxRecognizer(jsgf if jsgf is not None else to_jsgf(grammar, lang), lang=lang,
                                         settings=s.ps_settings)
        self.engine = engine_for(model_dir)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            graph = word_graph(grammar, lang)
        except (KeyError, ValueError) as exc:
            raise GrammarError(f"Grammaire inutilisable : {exc}", f"Unusable grammar: {exc}") from None
        tok = self.engine.tokenizer
        self.automaton = TokenAutomaton({lang: graph}, tok)
        self.automaton.prepare()
        self.compile_cpu_s = time.process_time() - c0
        self.compile_s = time.perf_counter() - t0
        self.sot = tok.token_id("<|startoftranscript|>")
        self.transcribe = tok.token_id("<|transcribe|>")
        self.notimestamps = tok.token_id("<|notimestamps|>")
        self.lang_token = tok.language_token(lang.split("-")[0])
        nospeech = tok.hf.token_to_id("<|nospeech|>")
        self.nospeech = int(nospeech if nospeech is not None else tok.token_id("<|nocaptions|>"))
        self.rescorer = Rescorer(self.automaton, tok, self.engine.decoder, {lang: self.lang_token},
                                 (self.sot, self.transcribe, self.notimestamps))
        self.end_ids = frozenset(self.rescorer.end_ids)
        self.eot = tok.token_id("<|endoftext|>")
        # Every word of the grammar: the pool of one-word swaps that change the intent.
        self.vocabulary = sorted(w for w in graph.words if w.strip())
        self._spelling: dict[str, tuple[int, ...]] = {}
        self._chunks: list[np.ndarray] = []
        if warm_up:
            # torch's first passes allocate and tune, the grammar's words are tokenised: do it
            # now, not on the user's first command.
            for v in self.vocabulary:
                self._spelled(v, False)
                self._spelled(v, True)
            with self.engine.lock:
                encoded = self.engine.encoder.encode(np.zeros(SAMPLE_RATE // 2, np.float32), s.pad_s)
                cross = self.engine.decoder.cross(encoded, s.window_frames)
                lp, cache = self._anchor(cross, ())
                self._free_decode(cross, (), lp, cache)
            # The grammar automaton's first walks (the competitors of a first command) are slow.
            for sample in self.proposal_paths("buy two e s")[:1]:
                self.word_competitors(sample)

    # ------------------------------------------------------------------ streaming hooks
    def _start(self) -> None:
        self._chunks = []
        self.ps.reset()

    def _feed(self, pcm: np.ndarray) -> Partial | None:
        self._chunks.append(pcm.copy())
        return self.ps.feed(pcm)

    def _reset(self) -> None:
        self._chunks = []
        self.ps.reset()

    def close(self) -> None:
        super().close()
        self.ps.close()

    def _final(self) -> Transcript:
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        self._chunks = []
        proposal = self.ps.final()
        ps_detail = {"text": proposal.text, "confidence": round(proposal.confidence, 4),
                     "ps_accepted": proposal.accepted, "reason": proposal.detail.get("reason")}
        if len(pcm) < MIN_AUDIO_S * SAMPLE_RATE:
            return self._refuse("too short", {"pocketsphinx": ps_detail})
        if len(pcm) > MAX_AUDIO_S * SAMPLE_RATE:
            return self._refuse("too long", {"pocketsphinx": ps_detail})
        if not proposal.text:
            return self._refuse("PocketSphinx found no grammar sentence", {"pocketsphinx": ps_detail})
        out = self._verify(pcm.astype(np.float32) / 32768.0, proposal.text, proposal.confidence)
        out.detail["pocketsphinx"] = ps_detail
        return out

    def _refuse(self, reason: str, detail: dict[str, Any], confidence: float = 0.0) -> Transcript:
        detail = dict(detail, reason=reason)
        return Transcript("", round(confidence, 4), self.lang, self.backend, True, detail=detail)

    # ------------------------------------------------------------------ the proposal in Whisper's tokens
    def _word_forms(self, words: tuple[str, ...], first: bool) -> list[tuple[int, tuple[int, ...]]]:
        """(words consumed, tokens) for the ways Whisper may write the next PocketSphinx words."""
        tok = self.engine.tokenizer
        out: list[tuple[int, tuple[int, ...]]] = []
        w = words[0]
        forms = [w.capitalize(), w, w.upper()] if first else [w, w.upper(), w.capitalize()]
        # Spelled letters ("e s", "m n q") are one acronym for Whisper: "ES", "MNQ".
        run = 0
        while run < len(words) and len(words[run]) == 1 and words[run].isalpha():
            run += 1
        for n in range(run, 1, -1):
            out.append((n, tok.encode(" " + "".join(words[:n]).upper())))
        for form in dict.fromkeys(forms):
            out.append((1, tok.encode(" " + form)))
        return out

    def proposal_paths(self, text: str, limit: int = 8) -> list[Proposal]:
        """PocketSphinx's sentence as token paths of the automaton, one per meaning (first found)."""
        words = tuple(text.split())
        a = self.automaton
        states: list[tuple[int, Frontier, tuple[int, ...]]] = [(0, a.initial(self.lang), ())]
        done: dict[Meaning, Proposal] = {}
        while states:
            nxt: list[tuple[int, Frontier, tuple[int, ...]]] = []
            seen: set[tuple[int, Frontier]] = set()
            for i, frontier, tokens in states:
                if i == len(words):
                    for m in a.meanings(frontier):
                        done.setdefault(m, Proposal(m, tokens))
                    continue
                for used, toks in self._word_forms(words[i:], i == 0):
                    f = frontier
                    for t in toks:
                        f = a.advance(f, t)
                        if f.empty:
                            break
                    if f.empty or (i + used, f) in seen:
                        continue
                    seen.add((i + used, f))
                    nxt.append((i + used, f, tokens + toks))
            states = nxt[:limit]
        return list(done.values())

    def word_competitors(self, proposal: Proposal, free: str = "") -> list[Candidate]:
        """The proposal with one word (any, not only a slot word) replaced by one of the grammar's
        words most alike in writing, or removed, where that is a sentence with another meaning:
        "start" / "stop" trading, "buy" / "sell", "close" / "show"; the most similar first, one per
        meaning, at most `WORD_COMPETITORS`."""
        from rapidfuzz import fuzz, process

        from .rescoring import Candidate, sense, word_tokens

        tok = self.engine.tokenizer
        texts = tok.token_texts
        words = word_tokens(proposal.tokens, texts)
        a = self.automaton
        prefixes = [a.initial(self.lang)]
        for word in words:
            f = prefixes[-1]
            for t in word:
                f = a.advance(f, t)
            prefixes.append(f)
        mine = sense(proposal.meaning)
        found: dict[Any, list[tuple[float, Candidate]]] = {}
        for i in range(len(words) + 1):
            rest = tuple(t for w in words[i + 1:] for t in w)
            head = tuple(t for w in words[:i] for t in w)
            options: list[tuple[float, tuple[int, ...], tuple[int, ...]]] = []
            if i < len(words):
                written = tok.decode(words[i]).strip()
                options.append((50.0, (), rest))  # removal
                # Every word of the grammar is tried: writing is a poor guide to what sounds alike
                # ("start" / "stop" are less alike in writing than "start" / "that").
                capital = written[:1].isupper()
                for v, sim, _ in process.extract(written.lower(), self.vocabulary, scorer=fuzz.ratio, limit=None):
                    if v.lower() != written.lower():
                        options.append((float(sim), self._spelled(v, capital), rest))
            else:
                # A last word PocketSphinx may have missed ("buy two" for "buy two E S"): the shorter
                # sentence must compete with its completions, or a cut-off one would win. (Words
                # missed inside are slot words, which `Rescorer.competitors` inserts.)
                # Most like the end of what Whisper writes freely first ("by 2ES": "ES").
                tail = free.lower()[-12:]
                for v in self.vocabulary:
                    near = fuzz.partial_ratio(v.lower(), tail) if tail else 0.0
                    options.append((60.0 + near / 2, self._spelled(v, i == 0), ()))
            # Only words the grammar allows here can make a sentence: their first token must be
            # allowed after the prefix (one cached look-up instead of 700 automaton walks).
            allowed = set(a.allowed(prefixes[i]).tolist())
            for sim, edit, rest in options:
                if edit and edit[0] not in allowed:
                    continue
                f = prefixes[i]
                for t in edit + rest:
                    f = a.advance(f, t)
                    if f.empty:
                        break
                if f.empty:
                    continue
                for m in a.meanings(f):
                    key = sense(m)
                    if key != mine:
                        found.setdefault(key, []).append((sim, Candidate(m, head + edit + rest, "word")))
        # Each other meaning in turn, its most similar writing first, then its second... (the
        # writing that sounds most alike is not always the most alike in letters: "halt" / "stop").
        queues = [sorted(v, key=lambda sc: -sc[0])[:PER_MEANING] for v in found.values()]
        queues.sort(key=lambda q: -q[0][0])
        out: list[Candidate] = []
        for depth in range(PER_MEANING):
            out += [q[depth][1] for q in queues if depth < len(q)]
        return out[:WORD_COMPETITORS]

    def _spelled(self, word: str, capital: bool) -> tuple[int, ...]:
        key = ("^" if capital else "") + word
        if key not in self._spelling:
            form = word.capitalize() if capital and word.islower() else word
            self._spelling[key] = self.engine.tokenizer.encode(" " + form)
        return self._spelling[key]

    def _grammar_meanings(self, tokens: tuple[int, ...]) -> set[Meaning]:
        a = self.automaton
        f = a.initial(self.lang)
        for t in tokens:
            f = a.advance(f, t)
            if f.empty:
                return set()
        return a.meanings(f)

    # ------------------------------------------------------------------ Whisper
    def _anchor(self, cross: Any, tokens: tuple[int, ...]) -> tuple[Any, list[tuple[Any, Any]]]:
        """One teacher-forced pass of the prompt + the proposal: the log-probabilities after each of
        its positions (the prompt's first one included, for the no-speech probability) and its
        key/value cache, which the free decoding and the scoring of the competitors reuse."""
        dec = self.engine.decoder
        torch = dec.torch
        seq = [self.sot, self.lang_token, self.transcribe, self.notimestamps, *tokens]
        h, cache = dec.extend([seq], 0, None, cross)
        with torch.inference_mode():
            lp = dec.project(torch.cat([h[0, :1], h[0, 3:]]))
        return lp, cache

    def _free_decode(self, cross: Any, draft: tuple[int, ...], anchor_lp: Any,
                     cache: list[tuple[Any, Any]]) -> tuple[tuple[int, ...], float, float]:
        """Greedy unconstrained decoding in the recogniser's language: its tokens, their mean
        log-probability, and the no-speech probability. A full stop followed by a digit is a decimal
        point ("0.5%"), not the end. The proposal is the draft: while the greedy choice is the
        proposal's next token, the anchor pass already holds the next distribution (speculative
        decoding: the same tokens as step by step, without the steps)."""
        dec = self.engine.decoder
        texts = self.engine.tokenizer.token_texts
        no_speech = float(anchor_lp[0, self.nospeech].exp())
        current = anchor_lp[1]
        out: list[int] = []
        lps: list[float] = []
        offset = 4
        on_draft = True
        pending: int | None = None  # a punctuation token that may be a decimal point
        steps = 0
        while steps < MAX_FREE_TOKENS:
            steps += 1
            t = int(current.argmax())
            value = float(current[t])
            if pending is not None:
                if not texts[t][:1].isdigit():
                    break
                out.append(pending)
                pending = None
            elif t in self.end_ids:
                if t == self.eot or texts[t].strip() != ".":
                    break
                pending = t
            if pending is None:
                out.append(t)
                lps.append(value)
            index = offset - 4  # tokens decoded before t
            if on_draft and index < len(draft) and draft[index] == t:
                current = anchor_lp[index + 2]
            else:
                if on_draft:
                    on_draft = False
                    cache = [(k[:, :, :offset], v[:, :, :offset]) for k, v in cache]
                lp, cache = dec.step([[t]], offset, cache, cross)
                current = lp[0, 0]
            offset += 1
        return tuple(out), (sum(lps) / len(lps) if lps else 0.0), no_speech

    def _force_score(self, cross: Any, cands: list[Candidate], anchor_lp: Any,
                     cache: list[tuple[Any, Any]]) -> list[tuple[float, float]]:
        """(summed token log-probability, end log-probability) of each candidate by teacher forcing,
        as `Rescorer.force_score`, but the prefix a candidate shares with the first one (the
        proposal: competitors differ from it in one word) is computed once, from its cache."""
        dec = self.engine.decoder
        torch = dec.torch
        prompt = [self.sot, self.lang_token, self.transcribe, self.notimestamps]
        seqs = [prompt + list(c.tokens) for c in cands]
        anchor = seqs[0]
        with torch.inference_mode():
            # Hidden states to project, each once: the anchor's positions 3.. (projected already),
            # then every tail's.
            pieces: list[Any] = []
            n_rows = len(anchor) - 3
            index: list[list[int]] = [list(range(n_rows))]  # per candidate: rows of positions 3..
            groups: dict[int, list[int]] = {}
            for i, seq in enumerate(seqs[1:], 1):
                shared = 0
                while shared < min(len(seq), len(anchor)) and seq[shared] == anchor[shared]:
                    shared += 1
                groups.setdefault(shared, []).append(i)
                index.append(list(range(min(shared, len(seq)) - 3)))
            for shared, rows in groups.items():
                tails = [seqs[i][shared:] for i in rows]
                width = max(len(t) for t in tails)
                if width == 0:
                    continue
                batch = [t + [self.rescorer.end_ids[0]] * (width - len(t)) for t in tails]
                prefix = [(k[:, :, :shared].expand(len(rows), -1, -1, -1), v[:, :, :shared].expand(len(rows), -1, -1, -1))
                          for k, v in cache]
                h, _ = dec.extend(batch, shared, prefix, cross)
                for r, i in enumerate(rows):
                    pieces.append(h[r, :len(tails[r])])
                    index[i] += list(range(n_rows, n_rows + len(tails[r])))
                    n_rows += len(tails[r])
            lp = torch.cat([anchor_lp[1:], dec.project(torch.cat(pieces))]) if pieces else anchor_lp[1:]
            end_ids = torch.as_tensor(self.rescorer.end_ids)
            out: list[tuple[float, float]] = []
            for seq, rows_i in zip(seqs, index):
                idx = torch.as_tensor(rows_i)
                total = float(lp[idx[:-1], torch.as_tensor(seq[4:])].sum()) if len(rows_i) > 1 else 0.0
                end = float(torch.logsumexp(lp[rows_i[-1], end_ids], 0))
                out.append((total, end))
        return out

    def _verify(self, audio: np.ndarray, ps_text: str, ps_confidence: float) -> Transcript:
        from .constrained_search import Finished
        from .rescoring import Candidate, combine, coverage, sense, similarity

        s = self.settings
        engine = self.engine
        tok = engine.tokenizer
        t0 = time.perf_counter()
        paths = self.proposal_paths(ps_text)
        if not paths:
            return self._refuse("PocketSphinx sentence not writable in the Whisper grammar",
                                {"hypothesis": ps_text})
        proposal = paths[0]
        detail: dict[str, Any] = {"hypothesis": ps_text, "intent": proposal.meaning.intent,
                                  "slots": proposal.meaning.as_dict()}
        with engine.decoding(s.threads):  # (ctranslate2 / torch failures: refused, saying why)
            encoded = engine.encoder.encode(audio, s.pad_s)
            t1 = time.perf_counter()
            cross = engine.decoder.cross(encoded, s.window_frames)
            anchor_lp, cache = self._anchor(cross, proposal.tokens)
            free, free_mean, no_speech = self._free_decode(cross, proposal.tokens, anchor_lp, cache)
            t2 = time.perf_counter()
            cands: list[Candidate] = [Candidate(p.meaning, p.tokens, "proposal") for p in paths]
            # Whisper's own sentence, when the grammar has it, in its own writing ("Sell 5 ES"):
            # it competes for its meaning (or backs the proposal's, written as Whisper writes it).
            free_meanings = self._grammar_meanings(free)
            cands += [Candidate(m, free, "free") for m in free_meanings]
            fake = Finished(proposal.meaning, proposal.tokens, 0.0, 0.0, 0.0, 0.0, 0.0)
            cands += self.rescorer.competitors(fake)
            cands += self.word_competitors(proposal, tok.decode(free))
            unique: dict[tuple[Any, tuple[int, ...]], Candidate] = {}
            for c in cands:
                unique.setdefault((sense(c.meaning), c.tokens), c)
            cands = list(unique.values())
            raw = self._force_score(cross, cands, anchor_lp, cache)
            t3 = time.perf_counter()
        best_by_sense: dict[Any, tuple[float, Candidate]] = {}
        token_mean: dict[Candidate, float] = {}
        for c, (total, end) in zip(cands, raw):
            score = combine(total, len(c.tokens), end)
            token_mean[c] = total / max(1, len(c.tokens) - 1)
            key = sense(c.meaning)
            if key not in best_by_sense or score > best_by_sense[key][0]:
                best_by_sense[key] = (score, c)
        ranked = sorted(best_by_sense.values(), key=lambda sc: -sc[0])
        mine = sense(proposal.meaning)
        own_score, own = best_by_sense[mine]
        rival = next(((sc, c) for sc, c in ranked if sense(c.meaning) != mine), None)
        margin = min(10.0, own_score - rival[0]) if rival is not None else 10.0
        free_text = tok.decode(free)
        agree = similarity(tok.decode(own.tokens), free_text)
        cover = coverage(tok.decode(own.tokens), free_text)
        # How much less likely the proposal is than what Whisper writes freely (per token): speech
        # outside the grammar makes every grammar sentence far less likely than the free text.
        gap = free_mean - token_mean[own]
        ambiguous = len({sense(p.meaning) for p in paths}) > 1
        detail.update({
            "free": free_text, "free_in_grammar": bool(free_meanings), "gap": round(gap, 4),
            "free_mean": round(free_mean, 4), "own_mean": round(token_mean[own], 4), "no_speech_prob": round(no_speech, 4),
            "margin": round(margin, 4), "agreement": round(agree, 4), "coverage": round(cover, 4),
            "score": round(own_score, 4), "surface": tok.decode(own.tokens), "candidates": len(cands),
            "ps_confidence": round(ps_confidence, 4), "ambiguous": ambiguous,
            "runner_up": None if rival is None else {"intent": rival[1].meaning.intent,
                                                      "slots": rival[1].meaning.as_dict(),
                                                      "surface": tok.decode(rival[1].tokens),
                                                      "score": round(rival[0], 4)},
            "rivals": [{"intent": c.meaning.intent, "slots": c.meaning.as_dict(), "surface": tok.decode(c.tokens),
                        "score": round(sc, 4), "source": c.source,
                        "coverage": round(coverage(tok.decode(c.tokens), free_text), 4)} for sc, c in ranked[:12]],
            "encode_s": round(t1 - t0, 4), "free_s": round(t2 - t1, 4), "rescore_s": round(t3 - t2, 4),
        })
        reason = None
        if ambiguous:
            reason = "the sentence has two meanings in the grammar"
        elif ps_confidence < s.min_ps_confidence:
            reason = "PocketSphinx's acoustic fit is too poor"
        elif no_speech > s.max_no_speech:
            reason = "Whisper hears no speech"
        elif margin < s.margin:
            reason = "Whisper prefers another meaning or hesitates" if margin < 0 else "two meanings are too close"
        elif gap > s.max_gap:
            reason = "the sentence is much less likely than what Whisper hears (out of grammar)"
        elif agree < s.agreement or cover < s.coverage:
            reason = "Whisper's free decoding disagrees (out of grammar or unclear)"
        confidence = 1.0 / (1.0 + math.exp(-4.0 * (margin - s.margin)))
        if reason is not None:
            return self._refuse(reason, detail, confidence)
        text = self.automaton.text(self.lang, own.tokens, own.meaning) or ""
        if not text:
            return self._refuse("no grammar path", detail, confidence)
        detail["text"] = text
        return Transcript(text.lower(), round(confidence, 4), self.lang, self.backend, False, detail=detail)
