"""Restatements: a sentence no stage understood, said again the way it was meant.

People do not speak in templates. Three habits defeat a grammar however broad, and each is
undone here by rewriting the sentence, which then goes through the whole parser again (so
read-back, confirmation and every veto still apply):

* **self-corrections** — "achète deux ES... non, pardon, trois", "sell six, sorry, sixteen
  MNQ", "vends... non, achète plutôt deux micro nasdaq": a correction marker followed by a
  slot value of the SAME kind as one said before replaces that value ("achète trois ES").
  Anything else after the marker (another verb, a negation, nothing) is no correction: the
  sentence is refused, never guessed;
* **hesitations between slots** — "tu vas me vendre, attends que je regarde... cinquante-huit
  micro nasdaq, voilà": phrases that only buy time are dropped;
* **indirect questions** — "je me demande si on est en régime défensif", "any idea if the
  autopilot is on": the wrapper is dropped and the rest is accepted as a READ-ONLY question
  only ("je me demande si j'achète deux ES" stays refused).

The phrases are grammar data (`frames:` keys `corrections`, `correction_tails`, `hesitations`,
`trailers`, `indirect_questions` of each language file; see grammars/README.md). The same
sections list the short answers that are a yes or a no only while a read-back waits
(`context_yes`, `context_no`: "y", "n", "c'est bon"), which the dialogue asks `context_answer`. The parser
calls this stage only after every other stage refused, behind a one-set-lookup gate, so a
sentence understood as said pays nothing.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from assistant.nlu.compiled import CompiledLanguage, ScannedValue
from assistant.nlu.normalize import cached_normalize, fold_accents, normalize

__all__ = ["RESTATE_KEYS", "Restatement", "Restater"]

#: The `frames:` keys this stage reads (the frame matcher leaves them alone).
RESTATE_KEYS = frozenset({"corrections", "correction_tails", "correction_only", "hesitations", "trailers", "go_aheads",
                          "trailer_objects",
                          "indirect_questions", "context_yes", "context_no", "chat_sides", "chat_limit",
                          "percent_labels", "percent_words", "percent_label_leads", "percent_label_markers", "percent_label_tails", "percent_sizes",
                          "percent_units",
                          "preambles", "commentary_joins",
                          "correction_glue", "pauses", "contractions", "aside_markers", "aside_unfinished",
                          "aside_tied", "aside_objects", "aside_events", "aside_references", "aside_genitive_days",
                          "aside_impersonal", "aside_speakers", "story_words", "question_tags",
                          "question_particles", "answer_emoji"})


@dataclass(frozen=True, slots=True)
class Restatement:
    """A sentence said again: `text` (normalised words) to parse instead, and what kind of
    restatement it is ("correction", "hesitation", "indirect")."""

    kind: str
    text: str


class _Phrases:
    """Longest-match lookup of normalised phrases, by first word."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in phrases:
            words = tuple(normalize(phrase).split())
            if words and words not in self._by_first.get(words[0], ()):
                self._by_first.setdefault(words[0], []).append(words)
        for entries in self._by_first.values():
            entries.sort(key=len, reverse=True)
        self.first_words = frozenset(self._by_first)
        self.last_words = frozenset(words[-1] for entries in self._by_first.values() for words in entries)

    def at(self, tokens: Sequence[str], start: int) -> int:
        """Length of the longest phrase starting at `tokens[start]` (0: none)."""
        for words in self._by_first.get(tokens[start], ()):
            if tuple(tokens[start:start + len(words)]) == words:
                return len(words)
        return 0

    def __bool__(self) -> bool:
        return bool(self._by_first)


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _paused_between(typed: str, word: str) -> bool:
    """`word` typed twice with a pause mark between ("three... three", "trois… trois", "3, 3")."""
    return bool(typed) and re.search(rf"(?<!\w){re.escape(word)}\s*(?:…|\.{{2,}}|,|-{{1,2}}|—)\s*{re.escape(word)}(?!\w)",
                                     _folded(typed)) is not None


def _folded(text: str) -> str:
    """Lower case, accents folded, punctuation kept (pause marks are read in it)."""
    return fold_accents(text.lower())


def _phrases(frames: Mapping[str, Mapping[str, Any]], key: str) -> _Phrases:
    return _Phrases(p for section in frames.values() for p in _strings(section.get(key, ())))


Unit = str | ScannedValue


def _ignorable(ch: str) -> bool:
    """A character that says nothing next to an emoji: a space, punctuation, a skin tone, a
    variation selector or a joiner."""
    return ch.isspace() or unicodedata.category(ch) in ("Po", "Sk", "Mn", "Cf")

#: Longest trailer looked for at the end of a sentence, in words ("j'en ai plein le dos": six).
_MAX_TRAILER = 6

#: The end of a clause as typed: a comma not inside a number ("5 970,25"), ";", ":", "!", "…", a
#: full stop before a space, a dash between spaces.
_CLAUSE_END = re.compile(r",(?!\d)|[;:!…]+|\.(?=\s)|\s[-–—]\s")
#: A character each of `_CLAUSE_END`'s alternatives starts with or holds: without one, no clause mark (a charset
#: search is a fast scan; the alternation tries four branches at every position).
_CLAUSE_CHARS = re.compile(r"[,;:!….\-–—]")

#: A side's chat abbreviation with its quantity glued ("s1", "ach2"): letters, then digits.
_GLUED_SIDE = re.compile(r"([a-z]+)(\d+)")

#: A figure in digits ("0.8", "1,25", "2"), as normalised.
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
#: "%" as normalisation writes it.
_PERCENT = "percent"


class Restater:
    """Builds restatements from the cue phrases of every loaded language (merged: traders mix)."""

    def __init__(self, frames: Mapping[str, Mapping[str, Any]], negations: Iterable[str] = ()) -> None:
        #: As phrases: "can't" is "can t", and "can" alone is no negation ("can you buy…").
        self.negations = _Phrases(negations)
        self.corrections = _phrases(frames, "corrections")
        self.tails = _phrases(frames, "correction_tails")
        self.only = _phrases(frames, "correction_only")
        self.hesitations = _phrases(frames, "hesitations")
        self.trailers = _Phrases(p for section in frames.values() for key in ("trailers", "go_aheads")
                                 for p in _strings(section.get(key, ())))
        #: A word that makes the trailer after it the command's object ("buy 2 ES *for the* boss", "sell 2 ES
        #: *to* the guys", "achète 2 ES *pour mon* gars": someone else's order), not an address said last.
        self.trailer_objects = frozenset(normalize(w) for section in frames.values()
                                         for w in _strings(section.get("trailer_objects", ())))
        #: Go-aheads ("do it", "fais-le"): trailers after a command, never after a yes or a no.
        self.go_aheads = _phrases(frames, "go_aheads")
        self.indirect = _phrases(frames, "indirect_questions")
        self.tags = _phrases(frames, "question_tags")
        self.tag_words = self.tags.last_words
        self.preambles = _phrases(frames, "preambles")
        self.commentary_joins = _phrases(frames, "commentary_joins")
        self.aside_markers = _phrases(frames, "aside_markers")
        # A command then an aside with no mark between (round 18a, `word_splits`, `said_of_something_else`).
        self._unfinished = _words(frames, "aside_unfinished")
        self._tied = _words(frames, "aside_tied")
        self._objects = _words(frames, "aside_objects")
        # ("buy 2 ES | and some apples": a join then an object is one more thing the command is given)
        self._joins = _phrases(frames, "order_joins")
        self._events = _phrases(frames, "aside_events")
        self._references = _phrases(frames, "aside_references")
        self._genitive_days = _phrases(frames, "aside_genitive_days")
        self.impersonal = _phrases(frames, "aside_impersonal")
        self.speakers = _phrases(frames, "aside_speakers")
        self._story = _phrases(frames, "story_words")
        # Words that only tie a corrected value to the order ("… non vingt-trois micro nasdaq *à l'*achat",
        # "… no twenty-three MNQ *on the* buy *side*"): a restart may say them anew.
        self.glue = frozenset(normalize(p) for section in frames.values()
                              for p in _strings(section.get("correction_glue", ())))
        # A pause between two parts of an order ("mets-moi, attends, vingt-trois…", "get long, say four
        # ES"): dropped only with words on both sides (said first or last, it is doubt).
        self.pauses = _phrases(frames, "pauses")
        self.percent_labels = _phrases(frames, "percent_labels")
        # ("risk", "risque"): a label only before a fraction ("risk 0.5"; "risk 2" may be two contracts)
        self._percent_words = _phrases(frames, "percent_words")
        # "set risk *to* 1.25", "risque *à* 0,5": the one word that may tie a label to its figure; after
        # the figure, only a word of `percent_label_tails` may follow ("risk 1 *on* ES", "risque 0,5 *stp*").
        self._percent_markers = _words(frames, "percent_label_markers")
        # ("*mets le* risque à 0,5", "*set my* risk 1"): the only words a label may follow, so a question ("quel
        # risque à 0,5") or anything else said first leaves the figure alone.
        self._percent_leads = _words(frames, "percent_label_leads")
        self._percent_tails = _words(frames, "percent_label_tails")
        # "size 0.75% on MNQ": a word of the order's size that, right before a percentage said with its
        # "%", names the risk per trade (`percent_sizes` {the risk word said instead: [size words]}).
        self._percent_sizes = {normalize(word): normalize(str(risk)) for section in frames.values()
                               for risk, words in (section.get("percent_sizes") or {}).items()
                               for word in _strings(words)}
        self.percent_units = {tuple(normalize(p).split()) for section in frames.values()
                              for p in _strings(section.get("percent_units", ()))}
        self._context = {" ".join(words): answer
                         for key, answer in (("context_yes", "confirm"), ("context_no", "cancel"))
                         for words in (tuple(normalize(p).split()) for section in frames.values()
                                       for p in _strings(section.get(key, ())))
                         if words}
        # Chat abbreviations of an order's side ("b", "s", "ach", "vd": `chat_sides`, each with
        # the side word it stands for) and of a limit ("lmt": `chat_limit`, the language's price
        # marker), by language: the rewritten order is said in one language.
        self._chat: dict[str, tuple[str, dict[str, str]]] = {}
        for section in frames.values():
            limits = {normalize(short): str(word) for word, shorts in (section.get("chat_limit") or {}).items()
                      for short in _strings(shorts)}
            for side, shorts in (section.get("chat_sides") or {}).items():
                for short in _strings(shorts):
                    self._chat[normalize(short)] = (str(side), limits)
        # Words run together as people say or type them ("chui", "chu", "jsuis": "je suis"), each with
        # the words it stands for (`contractions`: full form -> [contracted forms]).
        self._contracted: dict[str, str] = {}
        #: Forms of several words ("mi ve", "eu quero", "what all"), by first word: (form, full), longest first.
        self._contracted_runs: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for section in frames.values():
            for full, forms in (section.get("contractions") or {}).items():
                for form in _strings(forms):
                    words = tuple(normalize(form).split())
                    if len(words) == 1:
                        self._contracted[words[0]] = normalize(str(full))
                    elif words:
                        self._contracted_runs.setdefault(words[0], []).append((words, normalize(str(full))))
        for runs in self._contracted_runs.values():
            runs.sort(key=lambda run: len(run[0]), reverse=True)
        # A particle that only marks a yes/no question after a verb, its subject said or not (Québec
        # "j'ai-tu fait de l'argent", "c'est-tu arrêté", "le trading est-tu en pause"): `question_particles`
        # {opener: [subject verb particle | verb particle]}, by particle: (opener, the heads it may follow,
        # longest first).
        particles: dict[str, tuple[str, set[tuple[str, ...]]]] = {}
        for section in frames.values():
            for opener, phrases in (section.get("question_particles") or {}).items():
                for phrase in _strings(phrases):
                    words = tuple(w for part in phrase.split() for w in ((part,) if part == "*" else normalize(part).split()))
                    if len(words) > 1:
                        particles.setdefault(words[-1], (normalize(str(opener)), set()))[1].add(words[:-1])
        self._particles = {particle: (opener, tuple(sorted(heads, key=len, reverse=True)))
                           for particle, (opener, heads) in particles.items()}
        #: A particle said as a word ("-tu", " tu "), after `_particle_forms`, the cheaper gate.
        self._particle_words = re.compile(r"\b(?:" + "|".join(map(re.escape, self._particles)) + r")\b",
                                          re.IGNORECASE) if self._particles else None
        #: (a particle follows its verb after a hyphen or a space: "-tu", " tu", "-TU")
        self._particle_forms = tuple(sorted({sep + form for p in self._particles for form in (p, p.upper())
                                             for sep in "- "}))
        # An emoji alone as an answer ("👍", "👎"): `answer_emoji` {confirm|cancel: [emoji]}.
        self._emoji = {ch: str(answer) for section in frames.values()
                       for answer, marks in (section.get("answer_emoji") or {}).items()
                       for mark in _strings(marks) for ch in mark if not _ignorable(ch)}
        self._gate = self.corrections.first_words | self.hesitations.first_words | self.indirect.first_words \
            | self.pauses.first_words
        # Trailers are said last: gated on the last word ("j'en ai marre" must not open the gate
        # to every sentence with a "j" in it).
        self._trailer_ends = frozenset(words[-1] for section in frames.values()
                                       for words in (tuple(normalize(p).split())
                                                     for key in ("trailers", "go_aheads")
                                                     for p in _strings(section.get(key, ())))
                                       if words)

    def __bool__(self) -> bool:
        return bool(self._gate or self._trailer_ends or self._context or self._chat or self._contracted
                    or self._contracted_runs)

    def expanded(self, tokens: Sequence[str], text: str = "") -> Restatement | None:
        """The sentence with its contracted words said in full ("chui long ?" -> "je suis long ?"),
        or None when it holds none (one set look-up a word). With the sentence as typed (`text`), its
        commas stay where they were ("j'suis chaud, achète 3 spoos": a comment, then the order)."""
        single = not self._contracted.keys().isdisjoint(tokens)
        if not single and self._contracted_runs.keys().isdisjoint(tokens):
            return None
        marks = _marks_after(tokens, text)
        out: list[str] = []
        changed = False
        i = 0
        while i < len(tokens):
            for words, full in self._contracted_runs.get(tokens[i], ()):
                if tuple(tokens[i:i + len(words)]) == words:
                    out.append(full)
                    i += len(words)
                    changed = True
                    break
            else:
                full = self._contracted.get(tokens[i], tokens[i])
                changed = changed or full != tokens[i]
                out.append(full)
                i += 1
            out[-1] += marks.get(i - 1, "")
        return Restatement("contraction", " ".join(out)) if changed else None

    def particle_question(self, text: str) -> Restatement | None:
        """The yes/no question a question particle marks, said with its opener instead ("j'ai-tu fait
        de l'argent" -> "est ce que j ai fait de l argent"), or None: no particle after a listed head
        within one clause ("peux-tu acheter" is a request, its "tu" the subject; "on arrête, tu ne
        trades plus" holds no particle). Typed with its hyphen or not ("on est tu en live")."""
        for form in self._particle_forms:  # (the cheap gate: a few substring look-ups)
            if form in text:
                break
        else:
            return None
        if self._particle_words is None or self._particle_words.search(text) is None:
            return None
        clauses = [normalize(part).split() for part in _CLAUSE_END.split(text)]
        tokens = [token for clause in clauses for token in clause]
        offset = 0
        for clause in clauses:
            for i, tok in enumerate(clause):
                spec = self._particles.get(tok)
                if spec is None or not i:
                    continue
                opener, heads = spec
                for head in heads:  # ("*": any one word, the verb: "j * tu" is "j'achète-tu")
                    start = i - len(head)
                    if start >= 0 and all(h == "*" or h == t for h, t in zip(head, clause[start:i])):
                        if self._contracted_run_at(clause, start, i + 1):
                            continue  # (Québec "tu peux-tu vendre…": a request, `contractions` says it in full)
                        at, start = offset + i, offset + start
                        return Restatement("particle", " ".join([*tokens[:start], opener, *tokens[start:at],
                                                                 *tokens[at + 1:]]))
            offset += len(clause)
        return None

    def _contracted_run_at(self, words: Sequence[str], start: int, end: int) -> bool:
        """`words[start:end]` is a contracted form of several words (`contractions`)."""
        run = tuple(words[start:end])
        return any(form == run for form, _ in self._contracted_runs.get(words[start], ()))

    def emoji_answer(self, text: str) -> str | None:
        """"confirm" / "cancel" for a text of answer emoji only ("👍", "👍🏽 !", "👎👎"), None for anything
        else: another character, emoji of both answers ("👍👎"), a question ("👍?" asks, answers nothing)."""
        if not self._emoji or "?" in text:
            return None
        answers = set()
        for ch in text:
            answer = self._emoji.get(ch)
            if answer is not None:
                answers.add(answer)
            elif not _ignorable(ch):
                return None
        return answers.pop() if len(answers) == 1 else None

    def context_answer(self, text: str) -> str | None:
        """"confirm" / "cancel" for the short answers that are one only while a read-back waits
        ("y", "n", "c'est bon"), else None. Out of that context they stay refused."""
        return self._context.get(normalize(text))

    def may_apply(self, tokens: Sequence[str]) -> tuple[bool, bool, bool]:
        """The cheap gate: (a correction marker, a time-buying phrase, an indirect-question
        wrapper among the first words) said in the sentence. One set look-up when none of its
        words may begin such a phrase (most sentences)."""
        if self._gate.isdisjoint(tokens) and not (tokens and tokens[-1] in self._trailer_ends):
            return False, False, False
        corrects = hesitates = False
        for i in range(len(tokens)):
            corrects = corrects or bool(self.corrections.at(tokens, i))
            hesitates = hesitates or bool(self.hesitations.at(tokens, i))
            if not hesitates and i and (size := self.pauses.at(tokens, i)):
                hesitates = i + size < len(tokens)
        if not hesitates and tokens:
            hesitates = any(self.trailers.at(tokens, len(tokens) - size) == size
                            for size in range(1, min(_MAX_TRAILER, len(tokens)) + 1))
        # A wrapper comes first, after at most a few lead words ("alors, je me demande si…").
        asks = any(self.indirect.at(tokens, i) for i in range(min(4, len(tokens))))
        return corrects, hesitates, asks

    # ------------------------------------------------------------------ preambles
    def without_preamble(self, tokens: Sequence[str], leads: Iterable[int] = (0,)) -> Restatement | None:
        """"je veux plus rien en position | ferme tout", "we're done for the day | no new orders": a
        mood clause (`preambles`) said first, at one of the `leads` positions, dropped; None when the
        sentence does not start with one or is nothing else. The parser keeps the rest only when it
        is a close or a halt, the commands such a clause announces."""
        if not self.preambles or self.preambles.first_words.isdisjoint(tokens[:4]):
            return None
        for start in leads:
            size = self.preambles.at(tokens, start) if start < len(tokens) else 0
            if size and start + size < len(tokens):
                return Restatement("preamble", " ".join(tokens[start + size:]))
        return None

    # ------------------------------------------------------------------ commentary, then a command
    def commentary_splits(self, text: str) -> list[tuple[str, str]]:
        """"les chiffres sont bons, achète 3 ES", "tech is toppy here so short 2 MNQ": (what was said
        before, the command after) for every clause boundary of the sentence as typed (a comma
        not inside a number, ";", ":", "!", "…", a full stop, a dash) and every joining word
        (`commentary_joins`: "donc", "so"), normalised; the shortest command first. The parser keeps
        a split only when the part after is a whole command and the part before commits to
        nothing (`FrameMatcher.plain_commentary`)."""
        splits: dict[str, str] = {}
        # (the whole sentence, as the parser normalised it already: its memo answers; first, so that a join said
        # right before a mark is no word of the comment: "I'm nervous but... | buy a single MNQ")
        for head, tail in _joined(cached_normalize(text).split(), self.commentary_joins):
            splits.setdefault(tail, head)
        for mark in _CLAUSE_END.finditer(text) if _CLAUSE_CHARS.search(text) is not None else ():
            head, tail = normalize(text[:mark.start()]), normalize(text[mark.end():])
            if head and tail:
                splits.setdefault(tail, head)
        return sorted(((head, tail) for tail, head in splits.items()), key=lambda split: len(split[1]))

    # ------------------------------------------------------------------ a command, then an aside
    def aside_splits(self, text: str) -> list[tuple[str, str]]:
        """"coupe tout, je pars déjeuner", "vends 2 ES parce que le CPI sort bientôt": (the command
        said first, the aside after it) for every clause boundary of the sentence as typed (see
        `commentary_splits`) and every word that opens a reason (`aside_markers`: "parce que",
        "car"), normalised; the shortest command first. The parser keeps a split only when the
        command is understood and the aside commits to nothing (`FrameMatcher.plain_aside`). The
        command is given as typed when a mark ends it (it may hold a comment of its own: "le
        marché est lourd, vends 2 ES, je pars déjeuner")."""
        splits: dict[str, str] = {}
        for mark in _CLAUSE_END.finditer(text) if _CLAUSE_CHARS.search(text) is not None else ():
            head, tail = text[:mark.start()], normalize(text[mark.end():])
            if normalize(head) and tail:
                splits.setdefault(head, tail)
        for head, tail in _joined(cached_normalize(text).split(), self.aside_markers):
            splits.setdefault(head, tail)
        return sorted(splits.items(), key=lambda split: len(split[0]))

    def word_splits(self, tokens: Sequence[str]) -> list[tuple[str, str, bool]]:
        """"flatten everything | I'm off to lunch", "ferme tout | je vais manger": (the command, the aside,
        whether the aside opens like an object of the command) at every word boundary of a sentence said
        with no mark (speech has none), the shortest command first, both two words or more; never after
        a word a command does not end on (`aside_unfinished`: "sell two ES *at*") nor before one that ties
        the rest to the command (`aside_tied`: "sell two ES | *at* 2pm", "buy | *when* Powell speaks").
        An aside that opens with an article or a possessive (`aside_objects`: "on arrête | *les* frais")
        is flagged: the parser reads it only after a value of the command."""
        return [(" ".join(tokens[:k]), " ".join(tokens[k:]), tokens[k] in self._objects)
                for k in range(2, min(len(tokens) - 1, _MAX_ASIDE_HEAD + 1))
                if tokens[k - 1] not in self._unfinished and tokens[k] not in self._tied]

    @staticmethod
    def marked(text: str) -> bool:
        """The sentence as typed holds a clause mark (a comma not inside a number, ";", ":", "!", a full stop…)."""
        return _CLAUSE_CHARS.search(text) is not None and _CLAUSE_END.search(text) is not None

    @staticmethod
    def cut_by_mark(text: str, phrase: str) -> bool:
        """`phrase` (a value's words, normalised) is read across a clause mark of the sentence as typed: "buy three
        micros, NQ" reads "micros nq" (MNQ) where two markets were named, one after the comma."""
        if " " not in phrase.strip() or not _CLAUSE_END.search(text):
            return False  # (the cheap gates first: this runs on every command understood)
        words = normalize(phrase).split()
        size = len(words)
        for piece in _CLAUSE_END.split(text):
            said = normalize(piece).split()
            if any(said[i:i + size] == words for i in range(len(said) - size + 1)):
                return False
        return True

    def joins_an_object(self, tokens: Sequence[str], known: AbstractSet[str]) -> bool:
        """The aside opens with a join (`order_joins`) then an article or a possessive (`aside_objects`), or with a
        join then one word no grammar knows (`known`): "buy 2 ES | and some apples", "achète 1 ES | et des pommes",
        "buy 2 ES | and apples" give the command one more object, never a reason."""
        size = self._joins.at(tokens, 0) if tokens else 0
        return 0 < size < len(tokens) and (tokens[size] in self._objects
                                           or (size + 1 == len(tokens) and tokens[size] not in known))

    def said_of_something_else(self, tokens: Sequence[str]) -> list[str]:
        """The aside's words without the time or day it says of something else than the order: a clock
        time after an event named first ("la Fed parle | à 20 h", "Powell speaks | at 2pm"), a day in the
        genitive after a reference said first ("c'est le support | d'hier", "that's | yesterday's | low").
        Anything else (a time said first, "…, at 2pm"; "c'est pour vendredi") is left for the checks."""
        if tokens and self._events.at(tokens, 0):
            return [t for i, t in enumerate(tokens) if not _clock_word(tokens, i)]
        if tokens and self._references.at(tokens, 0):
            return _without(tokens, self._genitive_days)
        return list(tokens)

    def told(self, tokens: Sequence[str]) -> list[str] | None:
        """A comment of `_STORY_WORDS` words or more said before a command is a story ("listen I know the
        day isn't over yet but I've had enough of this chop and I'm tired, | close all my positions"): its
        words without those that join its clauses or tell its past times (`story_words`: "but", "since
        Monday"), which are its own. None for a shorter comment."""
        if len(tokens) < _STORY_WORDS:
            return None
        return _without(tokens, self._story)

    # ------------------------------------------------------------------ labelled percentages
    def labelled_percent(self, tokens: Sequence[str]) -> Restatement | None:
        """"risque par trade 0.8" -> "risque par trade 0.8 %", "set risk to 1.25" -> "set risk to 1.25 %":
        a label that only ever names a percentage (`percent_labels`: "risque par trade"; `percent_words`:
        "risk", "risque", only before a fraction, which is never a number of contracts), then
        at most one `percent_label_markers` word ("to", "à"), then the sentence's one figure in digits,
        is that percentage. After the figure, nothing or a `percent_label_tails` word ("on", "sur",
        "please"): "risk 2 ES" (two contracts?) is left alone, as any other shape (a number in words,
        a second number, no label, a word before the label that is no `percent_label_leads` word: "quel
        risque à 0,5"). A `percent_sizes` word before a figure said with its "%" is said as
        the risk word it stands for ("size 0.75% on MNQ" -> "risk 0.75% on MNQ"; "size 2 on MNQ" is left
        alone). The caller keeps the restatement only when it is a risk setting."""
        figures = [i for i, token in enumerate(tokens) if token[:1].isdigit()]
        if len(figures) != 1 or not _FIGURE.fullmatch(tokens[figures[0]]):
            return None
        at = figures[0]
        ends = (at, at - 1) if at and tokens[at - 1] in self._percent_markers else (at,)
        if at + 1 < len(tokens) and tokens[at + 1] == _PERCENT:
            # "size 0.75% sur MNQ" -> "risk 0.75% sur MNQ": a percentage said in full after a size word
            size = next((end - 1 for end in ends if end and tokens[end - 1] in self._percent_sizes
                         and self._percent_leads.issuperset(tokens[:end - 1])), None)
            if size is None:
                return None
            return Restatement("percent", " ".join((*tokens[:size], self._percent_sizes[tokens[size]],
                                                    *tokens[size + 1:])))
        if at + 1 < len(tokens) and tokens[at + 1] not in self._percent_tails:
            return None
        labels = (self.percent_labels, self._percent_words) if "." in tokens[at] else (self.percent_labels,)
        if not any(table.at(tokens, start) == end - start and self._percent_leads.issuperset(tokens[:start])
                   for table in labels for end in ends for start in range(end)):
            return None
        return Restatement("percent", " ".join((*tokens[:at + 1], "%", *tokens[at + 1:])))

    # ------------------------------------------------------------------ chat orders
    def may_be_chat_order(self, tokens: Sequence[str]) -> bool:
        """The cheap gate of `chat_order`: the first word is a side's chat abbreviation, or one with
        its quantity glued ("s1", "ach2")."""
        return bool(tokens) and (tokens[0] in self._chat or self._glued_side(tokens[0]) is not None)

    def _glued_side(self, token: str) -> tuple[str, str] | None:
        """("s", "1") for "s1": a side's chat abbreviation with its quantity glued, or None."""
        glued = _GLUED_SIDE.fullmatch(token)
        return (glued[1], glued[2]) if glued is not None and glued[1] in self._chat else None

    def chat_order(self, comp: CompiledLanguage, spaced: str) -> Restatement | None:
        """"b 1 es" -> "buy 1 es", "vd 5 es lmt 6012.75" -> "vends 5 es à 6012.75", "s1 mnq @ 21000"
        -> "sell 1 mnq at 21000": an abbreviated side only in a ticket's shape (abbreviation, number,
        market, and an optional limit marker and price), said first; "s" or "b" anywhere else means
        nothing. Words after the ticket ("pls", "asap", "tt de suite") are kept as said: the order
        with its side word in full goes through every stage, so they count as they would there
        ("tmrw" still times it); another value or abbreviation after it makes no ticket."""
        tokens = spaced.split()
        glued = self._glued_side(tokens[0]) if tokens else None
        if glued is not None:
            spaced = " ".join((*glued, *tokens[1:])) + " "
        units = list(comp.scan_items(spaced))
        first = units[0] if units else None
        if not isinstance(first, str) or first not in self._chat or len(units) < 3:
            return None
        side, limits = self._chat[first]
        number, market = units[1], units[2]
        if not (isinstance(number, ScannedValue) and number.kind == "#number"
                and isinstance(market, ScannedValue) and market.kind == "symbol"):
            return None
        words = [side, number.text, market.text]
        rest = units[3:]
        if len(rest) >= 2 and isinstance(rest[0], str) and rest[0] in limits \
                and isinstance(rest[1], ScannedValue) and rest[1].kind == "#number":
            words += [limits[rest[0]], rest[1].text]
            rest = rest[2:]
        after = [unit for unit in rest if isinstance(unit, str) and unit not in self._chat and unit not in limits]
        if len(after) < len(rest):
            return None  # "b 1 es 2", "b 1 es s 1 mnq", "b 1 es lmt": no ticket
        return Restatement("chat" if glued is None else "chat_glued", " ".join((*words, *after)))

    # ------------------------------------------------------------------ a value said twice
    @staticmethod
    def without_repeat(comp: CompiledLanguage, spaced: str, said: str, typed: str = "") -> Restatement | None:
        """"vends treize, euh, treize e-mini" -> "vends treize e-mini": the same number said
        twice with a filler between (`spaced`: fillers already dropped; `said`: the sentence as
        said) is one value; two different ones ("deux douze") stay ambiguous, and so does the
        same number side by side ("3 3" may be a mistyped 33, "two two" a misheard number) unless the
        sentence as typed (`typed`) puts a pause mark between them ("sell three... three MNQ")."""
        units = list(comp.scan_items(spaced))
        padded = " " + said
        kept: list[Unit] = []
        for unit in units:
            previous = kept[-1] if kept else None
            if isinstance(unit, ScannedValue) and isinstance(previous, ScannedValue) \
                    and unit.kind == previous.kind == "#number" and unit.text == previous.text:
                if f" {unit.text} {unit.text} " in padded and not _paused_between(typed, unit.text):
                    return None  # side by side, nothing between: a stutter or a mistyped 33, not a pause
                continue
            kept.append(unit)
        return Restatement("repeat", _join(kept)) if len(kept) < len(units) else None

    @staticmethod
    def without_repeated_run(tokens: Sequence[str], number_words: frozenset[str]) -> Restatement | None:
        """"buy two ES, uh, two ES", "achète deux contrats euh deux contrats ES", "sell two uh sell two
        MNQ": the same words said twice in a row (fillers already dropped) said once, longest run
        first. A run of number words only is never one ("fifty nine fifty nine" may be 5959, "deux
        deux" a misheard number): those stay as said. The same words make the same values, so the
        sentence said once can mean nothing else; the parser keeps it only when it is understood."""
        n = len(tokens)
        for size in range(n // 2, 0, -1):
            for i in range(n - 2 * size + 1):
                run = tokens[i:i + size]
                if run == tokens[i + size:i + 2 * size] \
                        and not all(t in number_words or t[:1].isdigit() for t in run):
                    return Restatement("repeat", " ".join([*tokens[:i + size], *tokens[i + 2 * size:]]))
        return None

    # ------------------------------------------------------------------ a command said again
    def restart(self, tokens: Sequence[str]) -> tuple[str, str] | None:
        """(what was said before, what was said after) one correction marker, when the sentence
        holds exactly one and words on both sides ("clôture ES, euh non, clôture tout"): the
        parser keeps the second part only when both parts are complete commands of the same
        intent (the second one a whole restatement of the first). None otherwise."""
        regions: list[tuple[int, int]] = []
        i = 0
        while i < len(tokens):
            size = self.corrections.at(tokens, i)
            if size:
                end = i + size
                while end < len(tokens) and (step := self.corrections.at(tokens, end)
                                             or self.hesitations.at(tokens, end)):
                    end += step
                regions.append((i, end))
                i = end
            else:
                i += 1
        if len(regions) != 1:
            return None
        start, end = regions[0]
        if start == 0 or end >= len(tokens):
            return None
        return " ".join(tokens[:start]), " ".join(tokens[end:])

    def bare_value(self, tokens: Sequence[str]) -> list[str] | None:
        """The second part of a restart without its leading "juste" / "just only" (`correction_only`),
        None when it says a negation ("non, pas le MNQ": what then?) or nothing else."""
        if any(self.negations.at(tokens, k) for k in range(len(tokens))):
            return None
        start = 0
        while start < len(tokens) and (size := self.only.at(tokens, start)):
            start += size
        rest = list(tokens[start:])
        return rest or None

    # ------------------------------------------------------------------ corrections
    def correction(self, comp: CompiledLanguage, spaced: str) -> Restatement | None | bool:
        """The corrected sentence, False when the sentence holds a correction this stage cannot
        read (then the sentence must be refused), None when it holds no correction at all.

        `spaced`: the normalised sentence in token+space form, skip words kept (they hold
        markers: "actually", "I mean"); the corrected sentence is parsed from scratch."""
        units: list[Unit] = list(comp.scan_items(spaced))
        words = [u if isinstance(u, str) else "\x00" for u in units]  # values never start a marker
        regions: list[tuple[int, int]] = []
        i = 0
        while i < len(units):
            size = self.corrections.at(words, i) if isinstance(units[i], str) else 0
            if size and regions and i == regions[-1][1] + 1 and self.tails.at(words, i):
                size = 0  # "non, achète *plutôt* deux": the tail of the correction just made
            if size:
                end = i + size
                while end < len(units) and isinstance(units[end], str) and (
                        step := self.corrections.at(words, end) or self.hesitations.at(words, end)):
                    end += step  # "non, pardon", "no wait, sorry", "euh non"
                regions.append((i, end))
                i = end
            else:
                i += 1
        # A marker before any value is not a correction ("non, annule", "no wait"), nor one
        # with nothing after it ("buy two ES, no").
        regions = [(a, b) for a, b in regions
                   if b < len(units) and any(not isinstance(u, str) for u in units[:a])]
        if not regions:
            return None
        if len(regions) > 1:
            return False  # corrected twice: which one stands?
        start, end = regions[0]
        before, after = units[:start], units[end:]
        # "achète plutôt", "buy instead": a tail marker right after the new value is part of it.
        after = [u for k, u in enumerate(after)
                 if not (isinstance(u, str) and self.tails.at(words, end + k))]
        # "à 5000, non, *à* 5001", "le MNQ, non, *l'*ES": the words that led to the value, said again.
        lead = 0
        while lead < len(after):
            word = after[lead]
            if not (isinstance(word, str) and (word in before or len(word) == 1)):
                break
            lead += 1
        led, after = [u for u in after[:lead] if isinstance(u, str)], after[lead:]
        if not after or isinstance(after[0], str):
            return False  # another verb, a negation, an explanation: not one replacement
        said = [u if isinstance(u, str) else "\x00" for u in before + after]
        if any(self.negations.at(said, k) for k in range(len(said))):
            return False  # "n'achète pas deux ES, non, trois": what is corrected?
        new = after[0]
        assert isinstance(new, ScannedValue)
        same = [k for k, u in enumerate(before) if isinstance(u, ScannedValue) and u.kind == new.kind]
        if len(same) > 1 and led:
            # "à 5000, non, à 5001": the value the same words led to (the price, not the quantity).
            same = [k for k in same if [u for u in before[max(0, k - len(led)):k]] == led]
        if len(same) != 1:
            # Nothing of that kind to replace (an addition, not a correction), or two ("buy 2 ES
            # at 5000, no, 3": the quantity or the price?).
            return False
        unit: list[Unit] = []
        if new.kind == "#percent":
            # "mets 2 %, non, 1,2 % de risque": what the percentage is of, said with the new value only.
            tail = tuple(u for u in after[1:] if isinstance(u, str))
            if len(tail) == len(after) - 1 and tail in self.percent_units:
                unit, after = after[1:], after[:1]
        if any(isinstance(u, str) and u not in before and u not in self.glue for u in after):
            # A correction says values again, with at most words of the sentence it corrects
            # ("non, achète deux micro nasdaq"); new words ("vends-les, je sais plus") are more
            # than one replacement.
            return False
        j = same[-1]
        if len(after) == 1:
            corrected = before[:j] + [new] + unit + before[j + 1:]
        else:
            # The speaker restarted at the replaced value: what follows it is said again, and a
            # value said before that is not said again is kept ("buy two ES, no, three contracts").
            kinds = {u.kind for u in after if isinstance(u, ScannedValue)}
            kept: list[Unit] = [u for u in before[j + 1:] if isinstance(u, ScannedValue) and u.kind not in kinds]
            corrected = before[:j] + after + kept
        return Restatement("correction", _join(corrected))

    # ------------------------------------------------------------------ hesitations
    def without_hesitations(self, tokens: Sequence[str]) -> Restatement | None:
        """The sentence without its time-buying phrases ("attends que je regarde", "let me
        check", a final "voilà"), None when it has none or is nothing else."""
        kept: list[str] = []
        i = 0
        while i < len(tokens):
            size = self.hesitations.at(tokens, i)
            if not size and i:
                size = self.pauses.at(tokens, i)
                size = size if i + size < len(tokens) else 0
            if size:
                i += size
                continue
            kept.append(tokens[i])
            i += 1
        while kept:
            size = next((n for n in range(min(_MAX_TRAILER, len(kept)), 0, -1)
                         if self.trailers.at(kept, len(kept) - n) == n), 0)
            if not size or (len(kept) > size and kept[-size - 1] in self.trailer_objects):
                break  # none left, or "for the boss": the order's object, kept (and refused)
            del kept[len(kept) - size:]
        if not kept or len(kept) == len(tokens):
            return None
        return Restatement("hesitation", " ".join(kept))

    def ends_with_go_ahead(self, tokens: Sequence[str]) -> bool:
        """True when `tokens` end with a go-ahead ("buy 2 ES, do it"; `go_aheads`)."""
        return any(self.go_aheads.at(tokens, len(tokens) - size) == size
                   for size in range(1, min(_MAX_TRAILER, len(tokens)) + 1))

    # ------------------------------------------------------------------ indirect questions
    def unwrapped_question(self, tokens: Sequence[str], leads: Iterable[int] = (0,)) -> Restatement | None:
        """The question inside an indirect one ("je me demande si | on est en régime défensif"),
        None when the sentence does not start with a wrapper (at one of the `leads` positions)."""
        for start in leads:
            if start < len(tokens):
                size = self.indirect.at(tokens, start)
                if size and start + size < len(tokens):
                    return Restatement("indirect", " ".join(tokens[start + size:]))
        return None


    def untagged_question(self, tokens: Sequence[str]) -> Restatement | None:
        """The question before a tag said last ("are we live right now | or not", "on est en live là |
        ou pas"); None when the sentence holds none (or is nothing but a tag)."""
        for start in range(max(1, len(tokens) - _MAX_TRAILER), len(tokens)):
            if self.tags.at(tokens, start) == len(tokens) - start:
                return Restatement("tagged", " ".join(tokens[:start]))
        return None


#: A word or a clause mark as typed ("j'suis chaud, achète": j, suis, chaud, ",", achète).
_WORD_OR_MARK = re.compile(r"[^\W_]+|[,;:]")


def _marks_after(tokens: Sequence[str], text: str) -> dict[int, str]:
    """Which of the normalised `tokens` the typed `text` follows with a clause mark (index -> ","), when
    the two line up word for word; else none (the words are said again without marks)."""
    if not text or not any(mark in text for mark in ",;:"):
        return {}
    marks: dict[int, str] = {}
    at = 0
    for piece in _WORD_OR_MARK.findall(text):
        if piece in ",;:":
            if at:
                marks[at - 1] = ","
            continue
        for word in normalize(piece).split():
            if at >= len(tokens) or tokens[at] != word:
                return {}
            at += 1
    return marks if at == len(tokens) else {}


def _joined(tokens: Sequence[str], joins: _Phrases) -> Iterator[tuple[str, str]]:
    """(the words before, the words after) each phrase of `joins` said between two other words."""
    if joins and not joins.first_words.isdisjoint(tokens):
        for i in range(1, len(tokens) - 1):
            size = joins.at(tokens, i)
            if size and i + size < len(tokens):
                yield " ".join(tokens[:i]), " ".join(tokens[i + size:])


def _without(tokens: Sequence[str], phrases: _Phrases) -> list[str]:
    """`tokens` with every phrase of `phrases` said among them left out (longest first)."""
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        size = phrases.at(tokens, i) if phrases else 0
        if not size:
            kept.append(tokens[i])
        i += size or 1
    return kept


def _words(frames: Mapping[str, Mapping[str, Any]], key: str) -> frozenset[str]:
    return frozenset(normalize(p) for section in frames.values() for p in _strings(section.get(key, ())))


#: Words of a comment said before a command that make it a story (`Restater.told`).
_STORY_WORDS = 10

#: Longest command tried before an aside said with no mark (`Restater.word_splits`), in words.
_MAX_ASIDE_HEAD = 24

#: Words of a clock time ("à 20 h 30", "at 2pm", "at 8 30"): figures, their units, the "at" before.
_CLOCK_UNITS = frozenset({"h", "am", "pm", "heure", "heures"})
_CLOCK_AT = frozenset({"a", "at", "vers", "around", "about"})


def _clock_word(tokens: Sequence[str], i: int) -> bool:
    """`tokens[i]` is part of a clock time: a figure ("20", "2pm", "20h30"), a unit after a figure,
    or "at"/"à" before a figure."""
    word = tokens[i]
    if _CLOCK_FIGURE.fullmatch(word):
        return True
    if word in _CLOCK_UNITS:
        return i > 0 and bool(_CLOCK_FIGURE.fullmatch(tokens[i - 1]))
    return word in _CLOCK_AT and i + 1 < len(tokens) and bool(_CLOCK_FIGURE.fullmatch(tokens[i + 1]))


_CLOCK_FIGURE = re.compile(r"\d{1,2}(?:h\d{0,2}|am|pm)?")


def _join(units: Sequence[Unit]) -> str:
    return " ".join(u if isinstance(u, str) else u.text for u in units)
