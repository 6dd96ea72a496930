"""Grammar-constrained Whisper: one recogniser for every grammar language, in one search.

    rec = ConstrainedWhisperRecognizer(model_dir, grammar)       # the grammars/ of the project
    listener = Listener({"fr": rec, "en": rec})                   # one object serves both languages

Per utterance (`final()`, after the endpointer closed it):

1. the audio (+ `pad_s` of silence) is encoded once by CTranslate2's Whisper encoder, and the
   decoder reads it followed by the encoding of silence up to Whisper's 30-second window
   (`WhisperDecoder.cross`): the model sees its training condition for the cost of encoding a
   few seconds;
2. a beam search of the decoder runs through the token automaton compiled from the grammar
   (`token_graph.py`; French and English are branches of the same search, the language token
   is the first token of every path), beside one unconstrained *garbage* row
   (`constrained_search.py`); a sentence may end only where Whisper's alignment heads look at
   the end of the speech (`speech_end`), so a command is not cut short;
3. the best path's meaning is accepted or refused by `confidence.py` (margin to the best path
   with another meaning, agreement with the free decoding, end-of-sentence and no-speech
   probabilities), which also gives the calibrated confidence;
4. the returned text is the grammar's own words for the chosen path ("achète 2 contrats ES"), so
   the project parser reads exactly the intent and slots the path means (tested on sampled
   paths in both languages).

Refused utterances come back with `out_of_grammar=True`, an empty text, and what was heard in
`detail` ("hypothesis", "reason"). Work happens in the caller's thread (the voice loop decodes in a
worker thread); one search runs at a time per model.

Speculative final decoding (`pause()`, see assistant/asr/pipeline.py; off by default): when the
endpointer announces a pause (0.2 s after the last speech frame), the utterance is known unless
speech resumes: the audio so far, then the rest of the trailing silence (0.3 s). Its decoding
starts at once on the recogniser's worker thread (`_Speculation`); `final()` waits for it, and
`resume()`/`reset()` drop it (a dropped one stops after its encoder call, or before it if it has
not started). The 0.3 s not heard yet are stood in for by the room's sound before the speech (the
first 0.1 s of the pre-roll, repeated: `pause_fill`, `SearchSettings.fill`), and `final()` decodes
that same input whether or not it speculated, so both give the same transcript by construction.
The stand-ins were audited on the whole fixture set (docs/asr.md, "Exact speculation"): the end of
the pause repeated (the first stand-in) can hold the tail of the speech; the pre-roll holds none
and adds no wrong action, but like every change of the input it flips decisions near the gate's
threshold both ways, and the held-out voices lost a few more commands than they gained. So the
endpointer does not announce pauses by default (`EndpointerConfig.pause_s = 0`): nothing here runs
and the input is the whole utterance as heard.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import BackendUnavailable, GrammarError, Partial, Recognizer, RecognizerError, Transcript

if TYPE_CHECKING:
    from .replies import ReplyScore
    from .token_graph import Meaning

BACKEND = "whisper-grammar"
SAMPLE_RATE = 16000
MIN_AUDIO_S = 0.1
MAX_AUDIO_S = 28.0


@dataclass(frozen=True)
class SearchSettings:
    beam: int = 4  # hypotheses per language
    token_bonus: float = 1.0  # nats per token: balances the sum of log-probabilities against length
    # Live paths more than this many nats under the best finished sentence are dropped. 5 (was
    # 10) since only sentences that reach the end of the speech finish: measured on 158 commands,
    # the same commands accepted, one best sentence fewer right, 17 % less CPU per utterance.
    prune: float = 5.0
    # A sentence may end only where Whisper's alignment heads look at most this long before the
    # end of the speech (negative: no such condition). Measured on natural voices: the right
    # sentences' look lies within 0.8 s of the speech end for 98 %, cut-off ones' for 43 %.
    cover_s: float = 0.8
    max_steps: int = 48
    pad_s: float = 1.0  # silence encoded after the audio
    window_frames: int = 1500  # the decoder reads the utterance then silence up to this many frames
    threads: int = 1  # torch threads for the decoder (1: small steps do not gain from a 2nd core)
    # "logistic": the calibrated logistic confidence of confidence.py decides; "rescore": the
    # forced rescoring of the N-best and confusable competitors decides (rescoring.py). Both are
    # computed and reported in `detail` either way (bench/asr_calibrate.py compares them).
    gate: str = "logistic"
    compare_gates: bool = False  # also run the forced rescoring when the logistic gate decides (benches)
    # Whisper's previous-text prompt (<|startofprev|> ...) before each language's row: the domain's
    # words in that language (`PROMPTS`), which shift the decoder's priors toward them. Measured
    # (every 5th fixture file, both languages): best sentence right en 69.2 -> 82.1 %, fr 47.5 ->
    # 50.0 % clean, en 34.6 -> 51.3 %, fr 16.2 -> 13.8 % in babble at 6 dB; about 0.2 s more CPU
    # per utterance. With its own gate calibration (`confidence.PROMPTED`) the held-out voices'
    # accepted commands go from 5/27 to 10/27 (en) and 3/40 to 9/40 (fr) clean, no wrong action.
    # Its cost: 2 of the 8 long commands of tests/asr/test_constrained_whisper.py come out cut
    # short ("Placer un trade papier long sur ES" for "... avec 1 contrat", "1, MNQ at 21,010.25"
    # for "go long one M N Q at ..."), both refused by the gate; without the prompt none is.
    prompt: bool = True
    # Weight of the language token's log-probability in a path's score (1: counted once; 2 was
    # measured: en best sentence +1 point, fr -2.5 points, so not used).
    lang_weight: float = 1.0
    # A path may not skip more than this much audio between two tokens, by the alignment heads'
    # look (negative: no such condition); the first token is looked for from the speech start.
    # Measured at 1.2 s: the same best sentences (en 82.1 %, fr 50.0 %), so off by default.
    max_jump_s: float = -1.0
    # Start the final decoding at the endpointer's pause announcement, in a worker thread
    # (module docstring); False: decode at `final()` (the same input, so the same result).
    speculate: bool = True
    # What stands in for the trailing silence not heard yet at the pause (`FILLS`, `pause_fill`).
    fill: str = "preroll"


#: The previous-text prompts (`SearchSettings.prompt`). A glossary, not a command: if Whisper
#: repeats its prompt on unclear audio (it does, on noise), the repetition is no grammar sentence.
PROMPTS = {
    "fr": "Trading de contrats à terme ES et MNQ, micro Nasdaq : achète, vends, long, court, contrats, "
          "positions, stop, régime de marché, CVaR, PnL, quantiles QR-DQN.",
    "en": "Trading ES and MNQ futures, micro Nasdaq: buy, sell, long, short, contracts, positions, stop, "
          "market regime, CVaR, PnL, QR-DQN quantiles.",
}


#: The endpointer hands over the utterance with its trailing silence (0.5 s by default): in noise,
#: where the frame energies cannot tell the speech end, it is taken this long before the end.
TRAILING_S = 0.3


def speech_start(audio: np.ndarray) -> float:
    """Where the speech starts (s): the start of the first 20-ms frame within 35 dB of the loudest."""
    frames = audio[: len(audio) // 320 * 320].reshape(-1, 320)
    if not len(frames):
        return 0.0
    energy = 10.0 * np.log10((frames.astype(np.float64) ** 2).mean(1) + 1e-10)
    return float(np.flatnonzero(energy > energy.max() - 35.0)[0]) * 0.02


def speech_end(audio: np.ndarray, trailing_s: float = TRAILING_S) -> float:
    """Where the speech ends (s): the end of the last 20-ms frame within 35 dB of the loudest,
    and at most `trailing_s` before the end of the audio."""
    frames = audio[: len(audio) // 320 * 320].reshape(-1, 320)
    if not len(frames):
        return 0.0
    energy = 10.0 * np.log10((frames.astype(np.float64) ** 2).mean(1) + 1e-10)
    active = np.flatnonzero(energy > energy.max() - 35.0)
    return min(float(active[-1] + 1) * 0.02, max(0.0, len(audio) / SAMPLE_RATE - trailing_s))


#: The stand-in for the rest of the trailing silence is made of this many seconds of the room's
#: own sound, repeated.
FILL_SOURCE_S = 0.1

#: What stands in for the rest of the trailing silence after a pause (`pause_fill`):
#: "pause_end": the last `FILL_SOURCE_S` of the pause (can hold the tail of the speech);
#: "preroll": the first `FILL_SOURCE_S` of the utterance's pre-roll (the room before the speech);
#: "quiet": the quietest `FILL_SOURCE_S` of the pre-roll's head and of the pause;
#: "none": nothing: the decoding stops at the pause and the encoder's padding follows.
FILLS = ("pause_end", "preroll", "quiet", "none")


def _quietest(pcm: np.ndarray, width: int) -> np.ndarray:
    """The quietest `width` samples of the pre-roll's head and of the last 0.2 s (20-ms steps)."""
    step = SAMPLE_RATE // 50
    head = pcm[: min(len(pcm), 3 * width)]
    tail = pcm[-min(len(pcm), 2 * width):]
    best, best_e = pcm[-width:], math.inf
    for part in (head, tail):
        for i in range(0, max(1, len(part) - width + 1), step):
            win = part[i:i + width]
            if len(win) < width:
                continue
            e = float(np.mean(win.astype(np.float64) ** 2))
            if e < best_e:
                best, best_e = win, e
    return best


def pause_fill(pcm: np.ndarray, n: int, fill: str = "preroll") -> np.ndarray:
    """`n` samples standing for the rest of the trailing silence after a pause, from the audio
    heard so far only (`FILLS`; "none" gives no samples)."""
    width = int(FILL_SOURCE_S * SAMPLE_RATE)
    if fill == "none":
        return np.zeros(0, np.int16)
    src = pcm[:width] if fill == "preroll" else _quietest(pcm, width) if fill == "quiet" else pcm[-width:]
    if n <= 0 or not len(src):
        return np.zeros(max(0, n), np.int16)
    return np.resize(src, n).astype(np.int16)


class _Cancelled(Exception):
    """A speculative decoding that was dropped before it finished."""


class _Speculation:
    """One final decoding started at a speech pause, on the recogniser's worker thread."""

    def __init__(self, pool: ThreadPoolExecutor, run: Callable[[threading.Event], Transcript], mark: int,
                 silence: int) -> None:
        self.mark = mark  # samples of the utterance's audio it decodes (then `silence` samples of `pause_fill`)
        self.silence = silence
        self.cancelled = threading.Event()
        self.future: Future[Transcript] = pool.submit(run, self.cancelled)

    @property
    def running(self) -> bool:
        return not self.future.done()

    def cancel(self) -> None:
        self.cancelled.set()
        self.future.cancel()  # not started yet: never will

    def wait(self) -> Transcript:
        """The result (raises `_Cancelled` if it was dropped, or the decoding's own error)."""
        try:
            return self.future.result()
        except CancelledError:
            raise _Cancelled() from None


class _Engine:
    """Model parts shared by every recogniser of one model folder: tokenizer, encoder, decoder."""

    def __init__(self, model_dir: Path, threads: int) -> None:
        from .whisper_decoder import WhisperDecoder
        from .whisper_encoder import WhisperEncoder
        from .whisper_tokenizer import load_tokenizer

        self.tokenizer = load_tokenizer(model_dir)
        self.encoder = WhisperEncoder(model_dir, threads=threads)
        try:
            self.decoder = WhisperDecoder(model_dir)
        except ImportError:
            raise BackendUnavailable("pip install torch==2.13.0", "pip install torch==2.13.0") from None
        self.decoder.set_silence(self.encoder.silence(model_dir))
        self.lock = threading.Lock()

    @contextmanager
    def decoding(self, threads: int) -> Iterator[Any]:
        """The model held for one decoding: the lock, torch on `threads` threads (restored after), and
        a CTranslate2 / torch failure turned into a refusal that says why. Yields torch."""
        with self.lock:
            torch = self.decoder.torch
            previous = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                yield torch
            except RuntimeError as exc:
                raise RecognizerError(f"Échec du décodage Whisper : {exc}", f"Whisper decoding failed: {exc}") from None
            finally:
                torch.set_num_threads(previous)


#: CTranslate2 threads of the encoder. 2 (was 1): the encoder output is bit-for-bit the same, and
#: its wall time halves when the second core is free (measured here on a 2.9 s command with 1 s
#: of padding: 176-180 ms -> 92 ms, 75 -> 90 ms CPU, under a load average of 5-7). While it
#: runs, the other thread of the listening path waits (final decoding) or only feeds the VAD
#: (speculative decoding).
ENCODER_THREADS = 2

_engines: dict[tuple[str, int], _Engine] = {}
_engines_lock = threading.Lock()


def check_model_dir(path: str | Path) -> Path:
    p = Path(path).expanduser()
    missing = [name for name in ("model.bin", "config.json", "tokenizer.json") if not (p / name).is_file()]
    if missing:
        raise BackendUnavailable(
            f"Modèle Whisper incomplet dans {p} : {', '.join(missing)} manquant(s) (réglage asr.whisper_model)",
            f"Incomplete Whisper model in {p}: {', '.join(missing)} missing (setting asr.whisper_model)",
        )
    return p


def engine_for(model_dir: str | Path, threads: int = ENCODER_THREADS) -> _Engine:
    """The shared engine of a model folder; `threads`: the encoder's CTranslate2 threads."""
    p = check_model_dir(model_dir).resolve()
    key = (str(p), threads)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = _Engine(p, threads)
        return _engines[key]


class ConstrainedWhisperRecognizer(Recognizer):
    """See the module docstring. `langs`: grammar languages to listen for (default: all)."""

    backend = BACKEND
    uses_context = True

    def __init__(self, model_dir: str | Path, grammar: Any, langs: tuple[str, ...] | None = None,
                 settings: SearchSettings | None = None, *, warm_up: bool = True) -> None:
        from assistant.grammar.graph import word_graph

        from .confidence import Calibration
        from .constrained_search import ConstrainedSearch
        from .token_graph import TokenAutomaton

        codes = tuple(langs) if langs else tuple(grammar.languages)
        known = [c for c in codes if c in grammar.languages]
        if not known:
            raise GrammarError(
                f"La grammaire ne couvre aucune des langues demandées ({', '.join(codes)})",
                f"The grammar covers none of the requested languages ({', '.join(codes)})",
            )
        super().__init__("+".join(known))
        self.settings = settings or SearchSettings()
        self.engine = engine_for(model_dir)
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            graphs = {code: word_graph(grammar, code) for code in known}
        except (KeyError, ValueError) as exc:
            raise GrammarError(f"Grammaire inutilisable : {exc}", f"Unusable grammar: {exc}") from None
        self.automaton = TokenAutomaton(graphs, self.engine.tokenizer)
        self.automaton.prepare()
        self.compile_s = time.perf_counter() - t0
        self.compile_cpu_s = time.process_time() - c0  # what a loaded machine inflates less
        self.search = ConstrainedSearch(self.engine.decoder, self.automaton, self.engine.tokenizer,
                                        beam=self.settings.beam, max_steps=self.settings.max_steps,
                                        prune=self.settings.prune, token_bonus=self.settings.token_bonus,
                                        cover_s=self.settings.cover_s,
                                        prompts=PROMPTS if self.settings.prompt else None,
                                        lang_weight=self.settings.lang_weight,
                                        max_jump_s=self.settings.max_jump_s)
        from .confidence import PROMPTED

        self.calibration = PROMPTED if self.settings.prompt else Calibration()
        from assistant.nlu.parser import Parser

        # Reads the free decoding for the gate's `free_parse` feature: exact templates only (cheap,
        # and a fuzzy reading is no evidence that Whisper wrote the command).
        self.free_parser = Parser(grammar, fuzzy=False, frames=False, classifier=False)
        from .rescoring import Gate, Rescorer

        tok = self.engine.tokenizer
        self.rescorer = Rescorer(self.automaton, tok, self.engine.decoder, self.search.lang_tokens,
                                 (self.search.sot, self.search.transcribe, self.search.notimestamps))
        self.gate = Gate()
        from .replies import ReplyGate, ReplyScorer, reply_forms

        # A confirmation context (`set_context`) also scores the grammar's reply sentences (replies.py).
        self.replies = ReplyScorer(self.automaton, tok, self.rescorer, reply_forms(grammar))
        self.reply_gate = ReplyGate()
        self.langs = known
        self._chunks: list[np.ndarray] = []
        self._samples = 0
        self._paused: tuple[int, int] | None = None  # (samples before the pause, silence to come)
        self._speculation: _Speculation | None = None
        self._dropped: list[_Speculation] = []  # cancelled, maybe still running: waited for by close()
        # One long-lived worker thread: a new thread per utterance cost 50-100 ms more CPU per
        # decoding here (the native libraries set up their per-thread state again).
        self._pool: ThreadPoolExecutor | None = None
        self._decode_lock = threading.Lock()  # one decoding at a time (post-processing included)
        if warm_up:
            # The first search allocates and fills the automaton's caches: do it now, not on the
            # user's first command.
            self._decode(np.zeros(SAMPLE_RATE // 2, np.float32))

    # ------------------------------------------------------------------ streaming hooks
    def _start(self) -> None:
        self._clear()

    def _feed(self, pcm: np.ndarray) -> Partial | None:
        self._chunks.append(pcm.copy())
        self._samples += len(pcm)
        return None

    def _reset(self) -> None:
        self._clear()

    def _pause(self, silence: int) -> None:
        self._drop()
        mark = self._samples
        self._paused = (mark, max(0, silence))
        if self.settings.speculate:
            pcm = np.concatenate(self._chunks)
            pcm = np.concatenate([pcm, pause_fill(pcm, max(0, silence), self.settings.fill)])
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="mia-asr-speculate")
            unheard = max(0, silence) + mark - len(pcm)
            self._speculation = _Speculation(
                self._pool, lambda cancelled: self._transcribe(pcm, mark, cancelled, unheard), mark, silence)

    def _resume(self) -> None:
        self._drop()
        self._paused = None

    def _clear(self) -> None:
        self._drop()
        self._chunks = []
        self._samples = 0
        self._paused = None

    def _drop(self) -> None:
        """Cancel the current speculation (`close()` waits for what still runs)."""
        if self._speculation is not None:
            self._speculation.cancel()
            self._dropped.append(self._speculation)
            self._speculation = None
        self._dropped = [s for s in self._dropped if s.running]

    def close(self) -> None:
        """Drop any speculation and stop the worker thread (waits for a decoding under way)."""
        super().close()
        self._drop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._dropped = []

    @property
    def speculations_running(self) -> int:
        """Speculative decodings not finished yet, dropped ones included (tests, diagnostics)."""
        current = [self._speculation] if self._speculation is not None else []
        return sum(s.running for s in [*current, *self._dropped])

    def _final(self) -> Transcript:
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        paused, spec = self._paused, self._speculation
        self._speculation = None
        self._clear()
        if paused is None:
            return self._transcribe(pcm, len(pcm))
        mark, silence = paused
        if spec is not None and len(pcm) - mark == spec.silence:
            try:
                tr = spec.wait()
                return replace(tr, detail={**tr.detail, "speculated": True})
            except _Cancelled:
                pass
        elif spec is not None:  # closed early (end of the stream): not what was speculated
            spec.cancel()
            self._dropped.append(spec)
        # After the pause only silence was heard: decoded with the same stand-in, as speculated.
        fill = pause_fill(pcm[:mark], len(pcm) - mark, self.settings.fill)
        return self._transcribe(np.concatenate([pcm[:mark], fill]), mark, None, len(pcm) - mark - len(fill))

    def _transcribe(self, pcm: np.ndarray, heard: int, cancelled: threading.Event | None = None,
                    unheard: int = 0) -> Transcript:
        """Decode `pcm`, whose samples after `heard` stand in for the rest of the trailing silence
        after a pause (`pause_fill`); `unheard`: samples of trailing silence left out (fill "none"),
        which the speech end's cap accounts for."""
        default_lang = self.langs[0]
        until = {"decoded_until_s": round(heard / SAMPLE_RATE, 3)}
        if len(pcm) < MIN_AUDIO_S * SAMPLE_RATE:
            return Transcript("", 0.0, default_lang, self.backend, True, detail={"reason": "too short", **until})
        if len(pcm) > MAX_AUDIO_S * SAMPLE_RATE:
            return Transcript("", 0.0, default_lang, self.backend, True, detail={"reason": "too long", **until})
        tr = self._decode(pcm.astype(np.float32) / 32768.0, cancelled,
                          max(0.0, TRAILING_S - unheard / SAMPLE_RATE))
        tr.detail.update(until)
        return tr

    def _decode(self, audio: np.ndarray, cancelled: threading.Event | None = None,
                trailing_s: float = TRAILING_S) -> Transcript:
        with self._decode_lock:
            if cancelled is not None and cancelled.is_set():
                raise _Cancelled()
            return self._decode_now(audio, cancelled, trailing_s)

    def _decode_now(self, audio: np.ndarray, cancelled: threading.Event | None, trailing_s: float) -> Transcript:
        from .confidence import CONFUSABLE_MARGIN, MARGIN_CAP, decide, rank
        from .constrained_search import describe

        s = self.settings
        engine = self.engine
        with engine.decoding(s.threads):  # (ctranslate2 / torch failures: refused, saying why)
            t0 = time.perf_counter()
            encoded = engine.encoder.encode(audio, s.pad_s)
            t1 = time.perf_counter()
            if cancelled is not None and cancelled.is_set():
                raise _Cancelled()
            end_s, start_s = speech_end(audio, trailing_s), speech_start(audio)
            result = self.search.run(encoded, frames=s.window_frames, speech_end_s=end_s, speech_start_s=start_s)
            t2 = time.perf_counter()
            rescored = None
            if s.gate == "rescore" or s.compare_gates:
                rescored = self.rescorer.rescore(result.cross, result.finished,
                                                 engine.tokenizer.decode(result.free_tokens))
            t3 = time.perf_counter()
            ranked = rank(result, engine.tokenizer)
            # The best sentence's confusable other-intent sentences, force-scored (a rule of confidence.py).
            intent_margin, intent_rival = (self.rescorer.intent_margin(result.cross, ranked[0].finished)
                                           if ranked else (MARGIN_CAP, None))
            cross, result.cross = result.cross, None
        from .rescoring import agreement, coverage

        decision = decide(result, engine.tokenizer, len(audio) / SAMPLE_RATE, self.calibration, ranked,
                          self.free_parser, {"intent_margin": round(intent_margin, 4),
                                             "confusable": float(intent_margin < CONFUSABLE_MARGIN)})
        best = ranked[0].finished if ranked else None
        rescore_detail: dict[str, Any] = {}
        rescore_ok = False
        r_best = None
        if rescored is not None:
            top = rescored.ranked[0].candidate
            r_agree = agreement(engine.tokenizer, top.tokens, result.free_tokens)
            r_cover = coverage(engine.tokenizer.decode(top.tokens), engine.tokenizer.decode(result.free_tokens))
            # One sentence with two meanings in the grammar is never a decision.
            ambiguous = any(c.candidate.tokens == top.tokens and c.candidate.meaning != top.meaning
                            and (c.candidate.meaning.intent, c.candidate.meaning.slots)
                            != (top.meaning.intent, top.meaning.slots) for c in rescored.ranked[1:])
            rescore_ok = (not ambiguous and rescored.margin >= self.gate.margin
                          and r_agree >= self.gate.agreement and r_cover >= self.gate.coverage)
            r_best = top
            r_text = self.automaton.text(top.meaning.lang, top.tokens, top.meaning) or ""
            rescore_detail = {
                "accepted": rescore_ok and bool(r_text), "margin": round(rescored.margin, 4),
                "agreement": round(r_agree, 4), "coverage": round(r_cover, 4), "score": round(rescored.ranked[0].score, 4),
                "intent": top.meaning.intent, "slots": top.meaning.as_dict(), "text": r_text,
                "candidates": len(rescored.ranked), "generated": rescored.competitors,
                "source": top.source, "ambiguous": ambiguous, "rescore_s": round(t3 - t2, 4),
                "scored": [{"intent": c.candidate.meaning.intent, "slots": c.candidate.meaning.as_dict(),
                            "lang": c.candidate.meaning.lang, "total": round(c.total, 4), "end": round(c.end, 4),
                            "n": len(c.candidate.tokens), "source": c.candidate.source,
                            "surface": engine.tokenizer.decode(c.candidate.tokens)} for c in rescored.ranked],
                "runner_up": next(({"intent": c.candidate.meaning.intent, "slots": c.candidate.meaning.as_dict(),
                                    "surface": engine.tokenizer.decode(c.candidate.tokens), "score": round(c.score, 4)}
                                   for c in rescored.ranked[1:]
                                   if (c.candidate.meaning.intent, c.candidate.meaning.slots)
                                   != (top.meaning.intent, top.meaning.slots)), None),
            }
        logistic_accepted = decision.accepted and best is not None
        best_tokens: tuple[int, ...] = ()
        best_meaning: Meaning | None = None
        if self.settings.gate == "rescore" and r_best is not None:
            from .confidence import Decision

            reason = None if rescore_ok else (
                "two meanings are too close" if rescored is not None and rescored.margin < self.gate.margin
                else "the sentence covers only part of what was said" if r_cover < self.gate.coverage
                else "free decoding disagrees (out of grammar or unclear)")
            conf = 1.0 / (1.0 + math.exp(-4.0 * (rescore_detail["margin"] - self.gate.margin)))
            decision = Decision(rescore_ok, conf, reason, decision.features)
            best_tokens, best_meaning = r_best.tokens, r_best.meaning
        elif best is not None:
            best_tokens, best_meaning = best.tokens, best.meaning
        lang = best_meaning.lang if best_meaning is not None else self.langs[0]
        text = ""
        if best_meaning is not None:
            text = self.automaton.text(best_meaning.lang, best_tokens, best_meaning) or ""
        detail: dict[str, Any] = {
            "hypothesis": text, "surface": engine.tokenizer.decode(best_tokens),
            "intent": best_meaning.intent if best_meaning else None,
            "slots": best_meaning.as_dict() if best_meaning else {},
            "rescore": rescore_detail, "logistic_accepted": logistic_accepted,
            "intent_rival": engine.tokenizer.decode(intent_rival.tokens) if intent_rival is not None else None,
            "free": engine.tokenizer.decode(result.free_tokens), "no_speech_prob": round(result.no_speech_prob, 4),
            "language_logprobs": {k: round(v, 3) for k, v in result.lang_logprobs.items()},
            "alternatives": [dict(a, agreement=round(r.agreement, 3), rank_score=round(r.score, 3))
                             for a, r in zip(describe([r.finished for r in ranked], engine.tokenizer), ranked)],
            "features": decision.features,
            "encode_s": round(t1 - t0, 4), "search_s": round(result.timings.get("search_s", 0.0), 4),
            "steps": result.steps,
        }
        context = self.context
        if context is not None and context.kind == "confirmation":
            accepted = decision.accepted and bool(text)
            reply = None
            # A command the search accepted stands as itself: the replies are scored only when it
            # refused, or accepted a confirm (which the reply scoring may contradict).
            if not accepted or detail["intent"] == "confirm":
                c_reply = time.process_time()
                lp = result.lang_logprobs
                free_lang = max(lp, key=lambda k: lp[k]) if lp else self.langs[0]
                with engine.decoding(s.threads):
                    reply = self.replies.score(cross, result.finished, result.free_tokens, free_lang,
                                               max(0.0, end_s - start_s), result.no_speech_prob)
                reply.features["reply_cpu_s"] = round(time.process_time() - c_reply, 4)
            return self._with_reply(reply, accepted, text, lang, decision, detail)
        del cross
        if not decision.accepted or not text:
            detail["reason"] = decision.reason or "no grammar path"
            return Transcript("", round(decision.confidence, 4), lang, self.backend, True, detail=detail)
        return Transcript(text.lower(), round(decision.confidence, 4), lang, self.backend, False, detail=detail)

    def _with_reply(self, reply: ReplyScore | None, accepted: bool, text: str, lang: str, decision: Any,
                    detail: dict[str, Any]) -> Transcript:
        """The decision in a confirmation context: what the full search accepted stands (a command
        said during the read-back is heard as itself), except a confirm the reply scoring hears as
        cancel (refused: confirming executes an order); what it refused may be a reply the gate
        accepts (replies.py)."""
        detail["context"] = "confirmation"
        detail["search_intent"] = detail.get("intent") if accepted else None  # the decision without the context
        confidence = round(decision.confidence, 4)
        if reply is None:  # a command the search accepted: not scored
            detail["reply"] = {"meaning": None, "accepted": False}
            return Transcript(text.lower(), confidence, lang, self.backend, False, detail=detail)
        f = reply.features
        ok = self.reply_gate.accepts(f)
        detail["reply"] = {**f, "accepted": ok}
        if accepted:
            if detail.get("intent") == "confirm" and f.get("meaning") == "cancel":
                detail["reason"] = "confirm heard, the reply scoring hears cancel"
                return Transcript("", confidence, lang, self.backend, True, detail=detail)
            return Transcript(text.lower(), confidence, lang, self.backend, False, detail=detail)
        cand = reply.candidate
        said = self.automaton.text(cand.meaning.lang, cand.tokens, cand.meaning) if ok and cand is not None else None
        if cand is None or not said:
            detail["reason"] = decision.reason or "no grammar path"
            return Transcript("", confidence, lang, self.backend, True, detail=detail)
        detail.update(hypothesis=said, surface=f["surface"], intent=cand.meaning.intent, slots={})
        detail["reply"]["text"] = said
        # Accepted: at least the dialogue's 0.5, growing with the smaller of the two margins.
        sure = 0.5 + 0.5 * (1.0 - math.exp(-max(0.0, min(f["margin"], f["command"]))))
        return Transcript(said.lower(), round(sure, 4), cand.meaning.lang, self.backend, False, detail=detail)
