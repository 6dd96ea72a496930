"""PocketSphinx 5 with a JSGF grammar: the embedded English recogniser (model ships in the wheel).

Decoding choices, measured on espeak-ng commands (see bench/asr_latency.py and the report):
- `bestpath=False`: the lattice rescoring pass of PocketSphinx 5 truncates FSG hypotheses
  ("close all positions" came out as "close all"); the Viterbi result is the right one.
- default beams: with the project grammar (compiled from grammars/en.yaml) wider beams cost
  2-3x the CPU for no better accuracy (87/120 vs 86/120 exact hypotheses); a tiny grammar gains
  a little from wide beams, which `PocketsphinxSettings` allows.

Rejection of out-of-grammar speech. A grammar decoder always returns *some* phrase unless the
search fails to reach the grammar's final state; we reject in three ways:
1. no complete path (`hyp()` is None or empty) -> out of grammar;
2. acoustic fit. PocketSphinx normalises each frame's senone scores by the best senone *it computed*
   in that frame. By default it computes only the senones of the grammar's active HMMs, so the
   normaliser is the best the *grammar* can do there; on speech the grammar does not cover, that is
   as poor as the grammar path itself and the fit looks good exactly when it should look bad
   ("turn on the kitchen lights" -> "turn on the autopilot", confidence 0.98). This is the cause of
   the false accepts. `compute_all_senones` (PocketSphinx's `compallsen`) scores every senone every
   frame, so the normaliser is the best any phone could do (an unconstrained garbage bound); same
   decoded sentence, about 12 % more CPU. It is opt-in, not the default, because its centre depends
   on the grammar even more (the 6-phrase home-lights grammar of tests/harness scores about 60
   points lower than with the default, 35 for the trading grammar) and no single centre serves both.
   The fit combines the mean per-frame score over words, the worst word (one foreign word in a known
   carrier phrase: "buy two apples"), and the whole utterance including silences:
   S = word_pf + 0.25 * worst_word_pf + all_pf;
3. coverage. A short phrase can match the start of a long sentence while the silence model
   swallows the rest ("yesterday was sunny" -> "yes"). We measure the share of clearly voiced
   10 ms frames (within 20 dB of the utterance's loud frames) that the decoder labelled silence
   or noise; above 30 % the grammar did not explain what was said.
Confidence = logistic(S, centre `reject_score`, slope 6) x logistic(coverage, centre 0.30, slope 0.03);
below 0.5 the utterance is out of grammar. Default (grammar-only normaliser, -96): calibrated with the
project grammar on 120 in-grammar and 69 out-of-grammar espeak-ng utterances. Measured through the live
path (harness: endpointer, recogniser, parser) on the natural-voice fixture set with
`bench/ps_rejection.py` (acceptance and false accepts for any centre, clean and in noise):
- default, -96: out-of-domain/non-speech items acted on 10 of 330 (33 items, clean and babble, music,
  kitchen clatter at 24/15/6 dB; 4 of 33 clean); commands understood exactly as labelled, every other
  file, clean: 187/195 = 95.9 %;
- all senones, -118: 0 of 330 acted on; commands 165/195 = 84.6 % on the same files (341/389 on all);
  on espeak-ng commands 9 of 12 instead of 12 of 12, and the home-lights grammar needs its own centre.
The fit S depends on the grammar: a very different grammar needs `reject_score` re-calibrated
(bench/asr_latency.py prints the scores, bench/ps_rejection.py the trade-off on the fixture set).
4. standalone acceptance (session 21). Alone (the English fallback when no Whisper model is installed: nothing
   verifies it), PocketSphinx acted on 5 clean out-of-domain sentences of the natural-voice set ("set an alarm
   for seven" -> 7 % risk; confidences 0.56-0.68) and misread numbers with a high utterance confidence ("forty"
   -> "four", "seventy five" -> "seventy four": 0.85-0.99), each number word itself unsure. An utterance is
   accepted from confidence 0.7 (`accept_confidence`; 2 of 416 clean commands understood lie under it), and only
   when each of its number words has a confidence of 0.4 (`min_number_word`). Measured on the set in
   docs/asr.md ("PocketSphinx alone"). The confidence is left as computed: `verified.py` reads it.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .base import GrammarError, Partial, Recognizer, RecognizerError, Transcript, Word, normalise_text
from .jsgf import has_public_rule, jsgf_pronunciations, jsgf_words

_FRAME_RATE = 100  # PocketSphinx default -frate
_ALT_PRON = re.compile(r"\(\d+\)$")  # "close(2)": second pronunciation of "close"


@dataclass(frozen=True)
class PocketsphinxSettings:
    reject_score: float = -96.0  # S at which the fit factor = 0.5 (see module docstring); -118 with all senones
    score_scale: float = 6.0  # logistic slope of the fit factor
    max_unexplained: float = 0.30  # share of voiced frames labelled silence at which coverage = 0.5
    unexplained_scale: float = 0.03
    word_center: float = -45.0  # per-word confidence: per-frame score at which it is 0.5 (-50 with all senones)
    # Standalone acceptance (session 21; the confidence itself is unchanged, `verified.py` reads it): an utterance
    # is in the grammar only from this confidence, and when every number word it holds has at least
    # `min_number_word` (a misheard "forty" read "four" is another order). See the module docstring, 4.
    accept_confidence: float = 0.7
    min_number_word: float = 0.4
    compute_all_senones: bool = False  # the fit's normaliser: best of all senones (docstring, 2.); opt-in
    beam: float = 1e-48  # PocketSphinx defaults
    wbeam: float = 7e-29
    pbeam: float = 1e-48
    partial_every_s: float = 0.2


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _import_pocketsphinx() -> Any:
    try:
        import pocketsphinx
    except ImportError:
        from .base import BackendUnavailable

        raise BackendUnavailable(
            "PocketSphinx n'est pas installé : pip install pocketsphinx",
            "PocketSphinx is not installed: pip install pocketsphinx",
        ) from None
    return pocketsphinx


class PocketsphinxRecognizer(Recognizer):
    """Grammar-constrained English recognition.

    `jsgf` is the grammar text (from `assistant.grammar.compile.to_jsgf`). `hmm`/`dictionary`
    default to the US English model inside the pocketsphinx wheel. Pronunciations (ARPAbet) for
    words missing from the dictionary come from the grammar's `pronunciations:` section (carried in
    the JSGF text as `// pronunciation:` comment lines) and from `extra_words` (one pronunciation
    or a list of alternatives per word). A word the dictionary knows gets them as alternatives.
    """

    backend = "pocketsphinx"

    def __init__(
        self,
        jsgf: str,
        lang: str = "en",
        hmm: str | None = None,
        dictionary: str | None = None,
        extra_words: Mapping[str, str | Sequence[str]] | None = None,
        settings: PocketsphinxSettings | None = None,
    ) -> None:
        super().__init__(lang)
        ps = _import_pocketsphinx()
        self.settings = s = settings or PocketsphinxSettings()
        if not jsgf.strip() or not has_public_rule(jsgf):
            raise GrammarError(
                "Grammaire JSGF vide ou sans règle publique",
                "Empty JSGF grammar or no public rule",
            )
        kwargs: dict[str, Any] = dict(lm=None, loglevel="FATAL", bestpath=False, compallsen=s.compute_all_senones,
                                      beam=s.beam, wbeam=s.wbeam, pbeam=s.pbeam)
        if hmm:
            kwargs["hmm"] = hmm
        if dictionary:
            kwargs["dict"] = dictionary
        try:
            self._decoder = ps.Decoder(**kwargs)
        except (RuntimeError, ValueError) as exc:
            raise RecognizerError(
                f"Échec d'initialisation de PocketSphinx : {exc}",
                f"PocketSphinx failed to initialise: {exc}",
            ) from None
        prons = jsgf_pronunciations(jsgf)
        for word, given in (extra_words or {}).items():
            prons.setdefault(word, []).extend([given] if isinstance(given, str) else list(given))
        try:
            for word, alternatives in prons.items():
                self._add_pronunciations(word, alternatives)
        except (RuntimeError, ValueError) as exc:
            raise GrammarError(
                f"Prononciation refusée par PocketSphinx : {exc}",
                f"PocketSphinx refused a pronunciation: {exc}",
            ) from None
        missing = sorted(w for w in jsgf_words(jsgf) if self._decoder.lookup_word(w) is None)
        if missing:
            raise GrammarError(
                "Mots de la grammaire absents du dictionnaire de prononciation anglais : "
                + ", ".join(missing) + " (écrivez-les en minuscules, lettres épelées séparées : « e s »)",
                "Grammar words missing from the English pronunciation dictionary: "
                + ", ".join(missing) + " (write them lowercase, spelled letters apart: 'e s')",
            )
        try:
            self._decoder.add_jsgf_string("mia", jsgf)
            self._decoder.activate_search("mia")
        except (RuntimeError, ValueError, KeyError) as exc:
            raise GrammarError(
                f"Grammaire JSGF refusée par PocketSphinx : {exc}",
                f"PocketSphinx rejected the JSGF grammar: {exc}",
            ) from None
        self._logmath = self._decoder.get_logmath()
        self._since_partial = 0
        #: The words that say a figure in this language ("forty", "point"; not the connectors "a", "and", "of").
        self._number_words = _number_words(lang)

    def _add_pronunciations(self, word: str, alternatives: list[str]) -> None:
        """`word`, `word(2)`... as PocketSphinx's dictionary lists alternatives; skips known ones."""
        known: set[str] = set()
        n = 0
        while True:
            key = word if n == 0 else f"{word}({n + 1})"
            phones = self._decoder.lookup_word(key)
            if phones is None:
                break
            known.add(" ".join(phones.split()))
            n += 1
        for phones in dict.fromkeys(" ".join(a.split()) for a in alternatives):
            if phones in known:
                continue
            key = word if n == 0 else f"{word}({n + 1})"
            self._decoder.add_word(key, phones, True)
            n += 1

    # ------------------------------------------------------------------ hooks
    def _start(self) -> None:
        self._decoder.start_utt()
        self._since_partial = 0
        self._audio: list[np.ndarray] = []

    def _feed(self, pcm: np.ndarray) -> Partial | None:
        self._decoder.process_raw(pcm.tobytes(), False, False)
        self._audio.append(pcm)
        self._since_partial += len(pcm)
        if self._since_partial < self.settings.partial_every_s * 16000:
            return None
        self._since_partial = 0
        hyp = self._decoder.hyp()
        return Partial(normalise_text(hyp.hypstr)) if hyp is not None else None

    def _reset(self) -> None:
        self._decoder.end_utt()
        self._audio = []

    def _final(self) -> Transcript:
        d = self._decoder
        d.end_utt()
        hyp = d.hyp()
        n_frames = max(1, d.n_frames())
        text = normalise_text(hyp.hypstr) if hyp is not None else ""
        if hyp is None or not text:
            return Transcript(text="", confidence=0.0, lang=self.lang, backend=self.backend,
                              out_of_grammar=True,
                              detail={"reason": "no complete grammar path", "frames": n_frames})
        log = self._logmath.log
        segs = [(s.word, log(s.ascore) if s.ascore > 0 else -10**9, s.start_frame, s.end_frame)
                for s in d.seg()]
        segs = [x for x in segs if x[0] != "(NULL)" and x[3] >= x[2] >= 0]
        total = sum(x[1] for x in segs)
        words: list[Word] = []
        word_scores: list[float] = []
        word_frames = 0
        word_total = 0.0
        s = self.settings
        for w, score, start, end in segs:
            if normalise_text(w) == "":
                continue  # silence / filler
            frames = end - start + 1
            pf = score / frames
            word_scores.append(pf)
            word_frames += frames
            word_total += score
            words.append(Word(_ALT_PRON.sub("", w), start / _FRAME_RATE, (end + 1) / _FRAME_RATE,
                              _sigmoid((pf - s.word_center) / s.score_scale)))
        if not words:
            return Transcript(text="", confidence=0.0, lang=self.lang, backend=self.backend,
                              out_of_grammar=True, detail={"reason": "silence only"})
        word_pf = word_total / word_frames
        worst = min(word_scores)
        all_pf = total / n_frames
        score = word_pf + 0.25 * worst + all_pf
        fillers = [(start, end) for w, _, start, end in segs if normalise_text(w) == ""]
        unexplained = unexplained_speech(np.concatenate(self._audio) if self._audio else
                                         np.zeros(0, np.int16), fillers)
        self._audio = []
        confidence = (_sigmoid((score - s.reject_score) / s.score_scale)
                      * _sigmoid((s.max_unexplained - unexplained) / s.unexplained_scale))
        said_numbers = [w.confidence for w in words if w.text in self._number_words]
        unsure_number = min(said_numbers, default=1.0)
        return Transcript(
            text=text, confidence=confidence, lang=self.lang, backend=self.backend,
            out_of_grammar=confidence < s.accept_confidence or unsure_number < s.min_number_word, words=tuple(words),
            detail={"score": score, "word_pf": word_pf, "worst_word_pf": worst, "all_pf": all_pf,
                    "unexplained": unexplained, "frames": n_frames, "hypothesis": text,
                    "least_sure_number_word": round(unsure_number, 4)},
        )


def _number_words(lang: str) -> frozenset[str]:
    from assistant.nlu.numbers import number_language

    return frozenset(number_language(lang).words) - {"a", "an", "and", "of"}


def unexplained_speech(pcm: np.ndarray, filler_spans: list[tuple[int, int]]) -> float:
    """Share of clearly voiced 10 ms frames that fall inside silence/noise segments (0..1)."""
    hop = 16000 // _FRAME_RATE
    n = len(pcm) // hop
    if n == 0:
        return 0.0
    frames = pcm[: n * hop].astype(np.float64).reshape(n, hop) / 32768.0
    energy = np.mean(frames * frames, axis=1)
    energy = np.convolve(energy, np.ones(3) / 3, mode="same")  # 30 ms: steadier on noisy input
    level = 10.0 * np.log10(energy + 1e-10)
    # Voiced = within 20 dB of the loud frames, and clearly above the background (so steady
    # noise under the command, as in the harness's SNR tests, is not counted as speech).
    live = level[level > -90.0]  # digital silence (file padding) is not the background
    floor = float(np.percentile(live, 10)) if live.size else -100.0
    loud = (level > np.percentile(level, 95) - 20.0) & (level > floor + 10.0) & (level > -50.0)
    total = int(loud.sum())
    if total == 0:
        return 0.0
    in_filler = np.zeros(n, dtype=bool)
    for start, end in filler_spans:
        in_filler[max(0, start) : min(n, end + 1)] = True
    return float((loud & in_filler).sum() / total)
