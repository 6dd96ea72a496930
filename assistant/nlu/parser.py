"""Utterance -> intent + typed slots, for French and English at once.

    parser = Parser.from_paths()                 # the project grammars (grammars/*.yaml)
    result = parser.parse("achète deux contrats E S à 5 012,25")
    result.intent, result.slots                  # "place_trade", {"side": "BUY", "quantity": 2,
                                                 #  "symbol": "ES", "price": 5012.25}

Order of work for one utterance:

1. normalise (case, accents, punctuation, "%"/"pour cent", separators in numbers);
2. per language, drop the grammar's skip words and try the **exact** matcher;
3. only if no language matched exactly, **fuzzy**-match the carrier phrase (the sentence with
   its slot values masked) against carriers with the same slot kinds in the same order.
   Accepted only above `accept`, with a clear `margin` over any other intent, and with one
   of the intent's keywords present when the grammar lists keywords for it. Slot values
   are never fuzzed: a command with two symbols, two quantities, or no clear side is
   refused with the reason (`ambiguous_symbol`, `ambiguous_quantity`, `ambiguous_side`).
4. only if that refused for want of a match (not for an unclear slot), the **frame** matcher
   (assistant/nlu/frames.py, cue lexicons in the grammars' `frames:` sections) reads cue
   words under strict rules; method "frame".
4b. only if that refused for want of a match or an unclear side, quantity or market, the
   **slot-filling reader** (assistant/nlu/slot_reader.py): an order said as its slots in any order
   ("prix 5012,25 qté 3 achat MNQ"), every word accounted for; no side is a follow-up question;
5. only if all that refused, the **restatements** (assistant/nlu/restate.py, phrases in the
   grammars' `frames:` sections): a self-correction applied ("buy two ES, no, three" -> "buy
   three ES"), time-buying phrases dropped ("attends que je regarde"), an indirect question
   unwrapped ("je me demande si …", read-only answers only); the restated sentence goes
   through stages 1-4 again. A correction this stage cannot read refuses the sentence;
5b. then a fast typist's **typos** (assistant/nlu/typos.py): an unknown word replaced by the one
   command word one edit away, parsed again, typed only;
6. only if everything refused for want of a match, the learned **classifier**
   (assistant/nlu/classifier.py) may answer with a READ-ONLY question intent (never an order,
   a close, a halt...); method "classifier". It also reads a read-only question whose market the
   templates found out of place (`ambiguous_symbol`: "combien de micros j'ai en cours"), only as
   that same question;
7. then, only for an order or a close every stage refused for want of a match or an unclear value, the
   learned **command reader** (assistant/nlu/command_reader.py): the grammar's detectors read the values
   and refuse every doubt (a negation, a condition, a price, another market, a word like a side word...),
   a linear model says whether the whole sentence is such a command; method "learned", read back as
   every order is.

Whatever the stage, a money amount ("$5,000 of MNQ", "5000 dollars") is never a number of
contracts: such an order is refused as `invalid_quantity`.

The language is decided per utterance: the one that matched, and when several did ("ok",
"long 2 ES"), the one with more words that only it uses, then `prefer`, then the default.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import replace
from typing import TypeVar

from assistant.grammar.expand import possible_slot_refs
from assistant.grammar.loader import GrammarPaths, load_grammar
from assistant.grammar.model import Grammar
from assistant.nlu.classifier import READ_ONLY_INTENTS, ClassifierOptions, ReadOnlyClassifier
from assistant.nlu.command_reader import CommandReader, CommandReaderOptions
from assistant.nlu.edge_words import EdgeWords
from assistant.nlu.compiled import NUMBER_KIND, PERCENT_KIND, CompiledLanguage, ExactHit, ScannedValue
from assistant.nlu.frames import HELD_CONTRACTS, STATE_INTENTS, SWITCH_QUESTION, UNCLEAR_ANSWER, FrameMatcher, FrameOutcome
from assistant.nlu.fuzzy import CarrierIndex, FuzzyOutcome
from assistant.nlu.normalize import cached_normalize as normalize
from assistant.nlu.numbers import number_language
from assistant.nlu.not_given import QUOTE_MARKS, NotGiven
from assistant.nlu.order_extras import OrderExtras
from assistant.nlu.restate import Restatement, Restater
from assistant.nlu.slash import ACTION_COMMANDS, RISK_COMMAND, SYMBOL_ARG, ActionCommand, SlashCommand, action_slots, slash_command
from assistant.nlu.slot_reader import SlotReader
from assistant.nlu.order_shapes import OrderShapes, Reshaped
from assistant.nlu.request_verbs import RequestVerbs
from assistant.nlu.trader_price import PriceReader
from assistant.nlu.spoken_marks import SpokenMarks
from assistant.nlu.typos import TypoFixer
from assistant.nlu.spoken import base_language
from assistant.nlu.result import ParseResult

__all__ = ["Parser", "ParseResult", "UNCLEAR_ANSWER", "default_parser"]

_T = TypeVar("_T")

#: The two answers to a read-back: a lead-in "yes" before a "no" (or the reverse) contradicts.
_ANSWERS = frozenset({"confirm", "cancel"})


class Parser:
    """Grammar-based parser. Build once (compiling takes a moment), then call `parse` freely;
    `parse` does not mutate the parser, so one instance can serve several threads."""

    def __init__(self, grammar: Grammar, *, default_language: str | None = None,
                 fuzzy: bool = True, accept: float = 0.80, margin: float = 0.05,
                 refuse: float = 0.72, frames: bool = True,
                 classifier: bool | ClassifierOptions = True,
                 commands: bool | CommandReaderOptions = True) -> None:
        if not 0.0 < accept <= 1.0 or not 0.0 < refuse <= 1.0 or not 0.0 <= margin < 1.0:
            raise ValueError("accept and refuse must be in (0, 1], margin in [0, 1)")
        self.grammar = grammar
        self._compiled = {code: CompiledLanguage(lg) for code, lg in grammar.languages.items()}
        self._carriers = {code: CarrierIndex(comp) for code, comp in self._compiled.items()} if fuzzy else {}
        all_negations = frozenset().union(*(comp.negations for comp in self._compiled.values()))
        all_words = frozenset().union(*(comp.vocabulary for comp in self._compiled.values()))
        prefixes = tuple(sorted({normalize(p) for lg in grammar.languages.values() if lg.frames
                                 for p in lg.frames.get("negating_prefixes", ()) if normalize(p)}))
        for index in self._carriers.values():
            index.negations = all_negations
            index.negating_prefixes = prefixes
            index.words = all_words
        self.languages: tuple[str, ...] = tuple(self._compiled)
        self._all_languages = tuple(self._compiled.values())
        if default_language is not None and default_language not in self._compiled:
            raise ValueError(f"default language '{default_language}' has no grammar "
                             f"(loaded: {', '.join(self.languages)})")
        self.default_language = default_language or ("en" if "en" in self._compiled else self.languages[0])
        self.fuzzy_enabled = fuzzy
        self.accept = accept
        self.margin = margin
        self.refuse = refuse
        self._exclusive: dict[str, frozenset[str]] = {}
        for code, comp in self._compiled.items():
            others: set[str] = set()
            for other_code, other in self._compiled.items():
                if other_code != code:
                    others |= other.vocabulary
            # A figure ("3", "95") says nothing of the language, even if one grammar happens to spell it.
            self._exclusive[code] = frozenset(w for w in comp.vocabulary - others if not w.isdigit())
        frame_data = {code: lg.frames for code, lg in grammar.languages.items() if lg.frames}
        # A sentence of greetings only ("bonjour", "hello MIA") is refused as a greeting, in the
        # language of its words, so the reply greets back with examples instead of "not understood"
        # in the wrong language. (frames key `greetings`; addressees and polite words may join them.)
        greetings = {code: frozenset(w for g in section.get("greetings", ()) for w in normalize(str(g)).split())
                     for code, section in frame_data.items() if section.get("greetings")}
        #: per language: (greetings only it says, every word a greeting sentence may hold)
        self._greetings = {
            code: (words.difference(*(g for c, g in greetings.items() if c != code)),
                   words | frozenset(w for key in ("addressees", "polite") for g in frame_data[code].get(key, ())
                                     for w in normalize(str(g)).split()))
            for code, words in greetings.items()}
        self._frames: FrameMatcher | None = None
        if frames and frame_data:
            symbol_intents = [name for name in self.intents() if "symbol" in self.slot_names(name)]
            self._frames = FrameMatcher(self._compiled, frame_data, symbol_intents)
        self._restater: Restater | None = None
        #: Every language's number words ("two", "vingt", "and"): a run of them alone is no repetition.
        self._number_words = frozenset().union(*(comp.numbers.words for comp in self._compiled.values()))
        if self._frames is not None:
            restater = Restater(frame_data, [n for lg in grammar.languages.values() for n in lg.negations]
                                + [n for section in frame_data.values() for n in section.get("negations", ())])
            self._restater = restater if restater else None
        self._slot_reader: SlotReader | None = None
        if self._frames is not None and "place_trade" in self.intents():
            reader = SlotReader(self._compiled, frame_data)
            self._slot_reader = reader if reader.enabled else None
        self._extras: OrderExtras | None = None
        if self._frames is not None:
            extras = OrderExtras(self._compiled, frame_data)
            self._extras = extras if extras else None
        not_given = NotGiven(frame_data)
        self._not_given_cues = not_given if not_given and self._frames is not None else None
        #: Also read with the frames off: a live session's dialogue asks it of every command (`says_paper`).
        self._paper_cues = not_given
        self._typos = TypoFixer(self._compiled, frame_data, _TYPO_ACTIONS) if self._frames is not None else None
        self._prices = PriceReader(frame_data)
        #: Punctuation said in words by a dictating trader ("oui virgule confirme"): written back (spoken_marks.py).
        marks = SpokenMarks(frame_data, self._is_number)
        self._marks = marks if marks else None
        #: Unknown words at a sentence's edge: exclamations dropped, typos of a meaning word refused (edge_words.py).
        self._edges = EdgeWords(frame_data, self._frames.known_words, self._number_words,
                                frozenset().union(*(comp.slot_words for comp in self._compiled.values()))) \
            if self._frames is not None else None
        shapes = OrderShapes(frame_data) if self._frames is not None else None
        #: None when it reads no shape: its truth is asked of every restated sentence (fixed data, decided once).
        self._shapes = shapes if shapes else None
        self._requests = RequestVerbs(frame_data) if self._frames is not None else None
        for comp in self._compiled.values():
            comp.price_reader = self._prices if self._prices and self._frames is not None else None
        self._read_only = (self._frames.topic_intents | STATE_INTENTS) if self._frames is not None else frozenset()
        # An order or a close said with a "?" last ("achète 2 ES ?", "buy 2 ES??", "out ES?") asks
        # whether to ("j'achète ?": should I?), unless a polite or request word, or MIA addressed,
        # makes it a request ("tu peux acheter 2 ES ?", "could you buy 2 ES?", "achète 2 ES stp ?").
        self._requesting = frozenset(w for section in frame_data.values()
                                     for key in ("polite", "requests", "addressees")
                                     for g in section.get(key, ()) for w in normalize(str(g)).split())
        self._classifier = self._build_classifier(classifier)
        self._commands = self._build_command_reader(commands)
        self.warnings: list[str] = list(grammar.warnings)
        for comp in self._compiled.values():
            self.warnings.extend(comp.warnings)

    @classmethod
    def from_paths(cls, paths: GrammarPaths = None, **options: object) -> "Parser":
        """Parser for grammar files or directories (None: the project's `grammars/`).

        Raises `assistant.grammar.GrammarError` naming the file and line of any problem.
        """
        return cls(load_grammar(paths), **options)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ introspection
    def intents(self, lang: str | None = None) -> list[str]:
        """Intent names of one language, or of all languages (sorted, no duplicates)."""
        codes = [lang] if lang else list(self.languages)
        names: set[str] = set()
        for code in codes:
            names.update(self._language(code).grammar.intents)
        return sorted(names)

    def slot_names(self, intent: str, lang: str | None = None) -> list[str]:
        """Slot names an intent can fill (from lists and fixed values), sorted."""
        names: set[str] = set()
        for code in ([lang] if lang else self.languages):
            lg = self._language(code).grammar
            if intent not in lg.intents:
                continue
            for tpl in lg.intents[intent].templates:
                names.update(tpl.fixed_slots)
                for ref in possible_slot_refs(tpl.expr, lg.rules):
                    names.add(lg.slot_name(ref.list_name, ref.slot_name))
        return sorted(names)

    def _language(self, code: str) -> CompiledLanguage:
        try:
            return self._compiled[code]
        except KeyError:
            raise ValueError(f"no grammar for language '{code}' (loaded: {', '.join(self.languages)})") from None

    def _select(self, lang: str) -> Sequence[CompiledLanguage]:
        if lang == "auto":
            return self._all_languages
        if lang not in self._compiled:
            lang = base_language(lang) if base_language(lang) in self._compiled else lang  # "fr-FR"
        return [self._language(lang)]

    # ------------------------------------------------------------------ language choice
    def _pick_language(self, codes: Iterable[str], tokens: list[str], prefer: str | None) -> tuple[str, bool]:
        codes = list(codes)
        if len(codes) == 1:
            return codes[0], True
        # (sum of booleans over a C-level map: the count of words only that language uses)
        scores = {c: sum(map(self._exclusive[c].__contains__, tokens)) for c in codes}
        top = max(scores.values())
        leaders = [c for c in codes if scores[c] == top]
        if len(leaders) == 1:
            return leaders[0], True
        for choice in (prefer, self.default_language):
            if choice in leaders:
                return choice, False
        return leaders[0], False

    @staticmethod
    def _quantity_as_scanned(comp: CompiledLanguage, stripped: str, hit: ExactHit) -> bool:
        """The template's quantity is a number the scanner reads too (longest value first):
        in "achète de s et p cinq cents" (a misheard "deux") the template could read 500
        contracts of "s et p", but "s et p cinq cents" is the S&P 500 and no number was said."""
        return comp.reads_number(stripped, hit.slot_text["quantity"])

    def _contradicts(self, comp: CompiledLanguage, stripped: str, hit: ExactHit) -> bool:
        """"yes no", "oui non": the lead-in is itself an answer the rest contradicts; not when the
        rest ends on a cancel verb ("oui... non non annule": the final cancel stands)."""
        if hit.intent not in comp.answer_like or (self._frames is not None and self._frames.one_answer(stripped.split())):
            return False  # ("yeah nah": one answer, a no)
        lead = comp.lead(stripped)
        lead_hit = comp.match_exact(lead) if lead else None
        if lead_hit is None or lead_hit.intent not in comp.answer_like or lead_hit.intent == hit.intent:
            return False
        # "ok, you can trade again": an agreeing lead-in before a command is no answer; only
        # a yes against a no (either way round) is.
        if hit.intent == "cancel" and self._frames is not None and self._frames.ends_on_cancel_verb(comp, stripped):
            return False
        return lead_hit.intent in _ANSWERS and hit.intent in _ANSWERS

    # ------------------------------------------------------------------ parsing
    def parse(self, text: str, lang: str = "auto", *, prefer: str | None = None) -> ParseResult:
        """Parse one utterance. `lang`: "auto" (every loaded language) or a language code.

        `prefer` breaks ties between languages for sentences valid in several (pass the
        language of the conversation so far). Raises ValueError for an unknown `lang`.
        """
        if text[:1] == "/" or text.lstrip()[:1] == "/":
            command = slash_command(text)
            if command is not None:
                return self._slash(text, command, lang, prefer)
        if self._marks is not None and (marked := self._marks.rewrite(text)) is not None:
            # "positions ouvertes sur es point d'interrogation": read as the trader's phone should have written it
            return replace(self.parse(marked, lang, prefer=prefer), text=text)
        if self._restater is not None and (asked := self._restater.particle_question(text)) is not None:
            # "j'ai-tu fait de l'argent", "c'est-tu arrêté le trading", "on est tu en live": a yes/no question
            # (Québec "-tu"), read as the question said in full ("est-ce que …?"); only a read-only answer
            # stands, never the command its words hold ("j'achète-tu 2 ES", "c'est-tu possible de fermer l'ES").
            again = self.parse(asked.text + " ?", lang, prefer=prefer)
            if again.intent not in self._read_only and (again.matched or (again.reason or "").startswith("missing_")):
                return replace(again, text=text, matched=False, intent=None, slots={}, slot_text={}, reason="no_match",
                               detail="a yes/no question (a '-tu' particle): never a command", nearest=again.intent)
            return replace(again, text=text)
        result = self._parse_or_read(text, lang, prefer)
        if result.reason == "empty" and self._restater is not None \
                and (answer := self._restater.emoji_answer(text)) is not None:
            # "👍", "👎": a yes or a no of no language (the conversation's answers)
            code = lang if lang in self._compiled else prefer if prefer in self._compiled else self.default_language
            return ParseResult(text, result.normalized, True, answer, {}, {}, code, False, 1.0, "exact")
        final = False
        if result.matched and result.intent == "halt" and self._restater is not None:
            # "I'm done for the day, get me flat": the mood clause holds a halt's words, the
            # command after it is the close the trader asked for.
            closed = self._preamble(result, result.normalized.split(), lang, prefer)
            if closed is not None and closed.intent == "close_positions":
                result = closed
        if not result.matched and self._restater is not None and result.reason != "empty":
            result, final = self._restate(result, lang, prefer)
        if result.matched and result.intent == "place_trade" and self._typos is not None \
                and self._typos.opens_with_homophone((result.normalized or normalize(text)).split()):
            # "by 2 ES short": a side word's homophone opens the order and another side is read (buy? short?)
            return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason="ambiguous_side",
                           detail="a side word's homophone opens an order whose side is read elsewhere",
                           nearest="place_trade")
        if result.matched and result.intent == "close_positions" and self._frames is not None \
                and self._frames.side_bound_close((result.normalized or normalize(text)).split()):
            # "buy back my ES": close a short, or add to a long? ("…my ES short" says it)
            return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason="ambiguous_intent",
                           detail="bought back with no side named: a close, or an order?", nearest="close_positions")
        if not final and not result.matched and self._typos is not None and (
                result.reason in _SLOT_READABLE or result.reason == UNCLEAR_ANSWER):
            # ("yeeees send it": a stretched yes is read again as the yes it spells)
            result = self._fix_typos(result, lang, prefer) or result
        elif result.matched and result.method == "frame" and result.intent in self._read_only:
            if self._restater is not None:
                result = self._contraction_passed_over(result, lang, prefer)
            if result.matched and self._typos is not None:
                result = self._typo_passed_over(result, lang, prefer)
        if not final and not result.matched and self._requests and result.reason in ("no_match", UNCLEAR_ANSWER) \
                and (requested := self._requests.after_request(normalize(text))) is not None:
            # "kindly share the CVaR for MNQ", "could you send me my P&L": what a formal request asks for, only
            # ever a read-only question ("send me 2 ES" stays refused)
            again = self.parse(requested + (" ?" if "?" in text else ""), lang, prefer=prefer)
            if again.matched and again.intent in self._read_only:
                result = self._restated(result, again)
        if not final and self._classifier is not None and not result.matched and (
                result.reason in _CLASSIFIABLE or self._market_misplaced(result)):
            result = self._classify(result)
        if not final and self._commands is not None and not result.matched and result.reason in _LEARNABLE:
            result = self._read_command(result)
        if result.matched and result.intent == "confirm" and "?" in text:
            # "yes?", "ok?": a question is no answer (whatever stage read the yes)
            return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason=UNCLEAR_ANSWER,
                           detail="a question is not an answer", nearest="confirm")
        if not result.matched and (result.reason in _YES_FILLED or result.method == "learned") \
                and self._frames is not None and (rest := self._frames.after_yes(normalize(text))) is not None:
            # (an incomplete command the learned reader guessed too: the words after the yes, read by the rules,
            # come first: which way it guesses moves with every phrase the lists gain)
            # "ok buy 2 ES là", "aye, close the lot", "ja, what's my ES position": out of a read-back, a yes (of any
            # region) said before a whole command is a filler; the command is read as said without it (an order is
            # read back anyway). An incomplete one is asked for what it lacks ("yebo, buy ES").
            again = self.parse(rest + (" ?" if "?" in text else ""), lang, prefer=prefer)
            if again.intent not in _NOT_AFTER_YES and (
                    again.matched or (again.reason or "").startswith("missing_")):
                result = self._restated(result, again)
        if self._frames is not None and (split := self._frames.after_answer(normalize(text))):
            # "non et ferme tout", "yes and go reduce only": the command after a yes or a no and a join
            result = self._answer_then(result, split, "?" in text, lang, prefer)
        elif not result.matched and self._frames is not None and "?" not in text \
                and (instead := self._frames.after_no_instead(normalize(text))) is not None:
            # "non, ferme tout plutôt", "no, just flatten everything": a way out said instead of the read-back
            result = self._no_instead(result, instead, lang, prefer)
        if not result.matched and self._edges is not None and result.reason in (UNCLEAR_ANSWER, "no_match") \
                and "?" not in text:
            # "zou, envoie", "déedéet, annule", "crikey, yes": an exclamation of no grammar, cut off by punctuation
            result = self._without_edge(result, lang, prefer)
        if result.intent in _ASKABLE_ACTIONS and "?" in text and (
                result.matched or (result.reason or "").startswith("missing_")) and self._order_asked(text):
            # (an incomplete one too: "u long ES?" asks about the position, not "how many?")
            return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason="no_match",
                           detail="an order asked as a question", nearest=result.intent)
        if not result.matched and self._extras is not None and result.reason != "empty":
            result = self._unsupported(result, lang, prefer)
        if not result.matched and result.reason == "no_match" and self._frames is not None \
                and self._frames.asks_quote(result.normalized or normalize(text)):
            # "c'est quoi le cours du micro": say that MIA gives no quotes, not only "not understood"
            return replace(result, reason="unsupported_quote", detail="a market price asked: MIA reports no quotes",
                           score=1.0)
        if not result.matched and result.reason == "no_match" and self._frames is not None \
                and not result.slots.get("symbol") \
                and self._frames.index_order(result.normalized or normalize(text)) is not None:
            # "achète 2 nasdaq": the full-size NQ (not traded here) or the micro? Asked, never guessed.
            return replace(result, reason="ambiguous_index", detail="an index named in an order: which contract?",
                           score=1.0)
        if not result.matched and result.reason in _OTHER_MARKET_REASONS and self._frames is not None \
                and not result.slots.get("symbol") \
                and (other := self._frames.other_market(self._select(lang), normalize(text))) is not None:
            # "buy 2 CL", "vends 3 NQ": a market MIA does not trade. Said so, never asked "ES or MNQ?"
            # (the trader wanted that market, not one of ours).
            return replace(result, matched=False, reason="unsupported_market", missing=(), score=1.0,
                           detail=f"'{other}' is not a market MIA trades", nearest=result.intent)
        if not result.matched and result.reason == "no_match" and self._greetings:
            greeted = self._greeting(result.normalized or normalize(text), lang)
            if greeted is not None:
                return ParseResult(text, result.normalized, False, None, language=greeted, language_certain=True,
                                   score=1.0, reason="greeting", detail="a greeting, no request", nearest="help")
        if not result.matched and result.reason in ("no_match", "ambiguous_intent"):
            # ("comment vas-tu ?" came as near to the status as to help: two guesses, neither asked)
            chatted = self._small_talk(text, lang)
            if chatted is not None:
                # "how are you?", "tu vas bien ?": said to be outside trading, not answered with examples of the
                # command whose words it happened to come closest to
                return replace(result, intent=None, slots={}, language=chatted, reason="small_talk", nearest=None,
                               score=1.0, detail="small talk, no trading request")
        # The words as said, read by most of the checks below (every stage keeps the text as said: `said` holds for
        # each result up to the end; normalised and split once, not once a check). They read only a command understood
        # or incomplete, and no check below makes a refusal one: a refusal (most nested parses) needs none.
        said = normalize(result.text).split() if result.matched or (result.reason or "").startswith("missing_") else []
        result = self._not_given(self._unhonoured(result, said), said)
        if result.intent == "place_trade" and self._extras is not None \
                and (result.matched or (result.reason or "").startswith("missing_")) \
                and (clash := self._extras.contradiction((result.normalized or normalize(text)).split(),
                                                         result.slots)) is not None:
            # "buy 2 ES limit at market", "b 2 es short": two incompatible things said, whatever stage
            # read one of them: refused, never resolved by picking one. (On the sentence as understood: a
            # self-correction restated is the corrected order, an aside dropped was vetted by its stage.)
            return ParseResult(text, result.normalized, False, result.intent, result.slots, result.slot_text,
                               result.language, result.language_certain, result.score, result.method,
                               result.alternatives, _CONTRADICTION[clash][0], _CONTRADICTION[clash][1],
                               nearest=result.intent)
        if result.matched and self._restater is not None and self._restater.marked(text) and (cut := next(
                (slot for slot, value in result.slot_text.items()
                 if slot in _CUT_REASONS and self._restater.cut_by_mark(text, str(value))),
                None)) is not None:
            # "buy three micros, NQ": one value read across a comma, where two things were said
            return replace(result, matched=False, intent=None, slots={}, slot_text={}, nearest=result.intent,
                           reason=_CUT_REASONS[cut],
                           detail=f"the {cut} read across a punctuation mark: two things said?")
        if result.matched and "price" in result.slots and not self._price_fits(result):
            return replace(result, matched=False, reason="ambiguous_price", nearest=result.intent,
                           slots={k: v for k, v in result.slots.items() if k != "price"},
                           slot_text={k: v for k, v in result.slot_text.items() if k != "price"},
                           detail="a price said in a trader's shape that is no price of this market: which one?")
        if result.matched and "quantity" in result.slots and self._frames is not None \
                and self._frames.mentions_money(text, result.normalized):
            return ParseResult(text, result.normalized, False, result.intent, result.slots, result.slot_text,
                               result.language, result.language_certain, result.score, result.method,
                               result.alternatives, "invalid_quantity",
                               "a money amount is not a number of contracts", nearest=result.intent)
        if self._frames is not None and result.intent not in _ANSWERS and result.intent != "followup_answer" \
                and (result.matched or (result.reason or "").startswith("missing_")) \
                and len(self._frames.opening_answers(said)[0]) > 1 \
                and not self._frames.after_answer(normalize(result.text)):
            # "yes no, sell 2 ES", "oui non vends 2 ES", "yeah nah, buy 1 ES": a yes and a no before a command
            # contradict each other, whatever stage read the command (a self-correction, a lead word dropped)
            return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason="ambiguous_intent",
                           detail="a yes and a no said before a command: a contradiction", nearest=result.intent,
                           missing=())
        return self._edge_typo(self._acted_on_all(self._help_outside(self._checked_command(result, lang, prefer))),
                               said)

    def _checked_command(self, result: ParseResult, lang: str, prefer: str | None) -> ParseResult:
        """A read-only answer to a command said with a check last ("on ne fait plus que réduire, compris ?", "sell 2
        ES, got it?": `check_tags`): the "?" is the check's, the sentence no question; refused as an order said with a
        "?" is ("ferme tout, ok ?"), never answered with a state or a figure."""
        if not (result.matched and result.intent in self._read_only and "?" in result.text) or self._frames is None:
            return result
        tokens = normalize(result.text).split()
        size = self._frames.check_tag_size(tokens)
        if not size:
            return result
        again = self.parse(" ".join(tokens[:-size]), lang, prefer=prefer)
        if again.intent is None or again.intent in self._read_only or not (
                again.matched or (again.reason or "").startswith("missing_")):
            return result  # ("the autopilot's off, right?": a state checked, asked)
        return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason="no_match",
                       detail="a command said with a check last: no question", nearest=again.intent)

    def _acted_on_all(self, result: ParseResult) -> ParseResult:
        """A read-only answer the frames read from a sentence where a word no list knows is said of every position
        ("zap all my positions", "tu me poutzes toutes les positions": `FrameMatcher.acts_on_all`): something was
        asked to be DONE to them (a close?), refused with the close's examples, never answered with the list."""
        if not (result.matched and result.method == "frame" and result.intent in self._read_only) \
                or "?" in result.text or self._frames is None:
            return result
        verb = self._frames.acts_on_all(normalize(result.text).split())
        if verb is None:
            return result
        return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason="no_match",
                       detail=f"'{verb}' said of every position: an action MIA does not know?",
                       nearest="close_positions")

    def _help_outside(self, result: ParseResult) -> ParseResult:
        """A help that a frame, an approximation or the classifier read from a sentence where help is asked for
        something (`help_requests`) named with a word no grammar nor cue list knows ("tu peux m'aider à faire mes
        impôts", "can you help me do my taxes"): help with something outside trading, refused (an exact template explains every word: "aide-moi à trader" is read by a frame,
        every word known)."""
        if not (result.matched and result.intent == "help" and result.method != "exact") or self._frames is None:
            return result
        tokens = normalize(result.text).split()
        end = self._frames.help_asked_end(tokens)
        if end is None:
            return result  # (no help asked for something: "any tips on what to say?")
        known = self._frames.known_words
        outside = next((w for w in tokens[end:] if w.isalpha() and w not in known), None)
        if outside is None and end < len(tokens):
            # or named with small talk's words ("m'aider à faire mes impôts": `chit_chat`)
            rest = " ".join(tokens[end:]) + " "
            comp = self._compiled.get(result.language or "")
            if comp is not None and self._frames.analysis(comp, rest, rest).has("chit_chat"):
                outside = rest.strip()
        if outside is None:
            return result
        return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason="no_match",
                       detail=f"help asked with '{outside}': something outside trading?", nearest="help")

    def _without_edge(self, result: ParseResult, lang: str, prefer: str | None) -> ParseResult:
        """The answer or whole command said after or before an exclamation no grammar knows, cut off by
        punctuation (`EdgeWords.edge_rests`); the sentence as it was when there is none."""
        assert self._edges is not None
        for rest in self._edges.edge_rests(result.text):
            again = self.parse(rest, lang, prefer=prefer)
            if again.matched and (again.intent in _ANSWERS or again.intent in _AFTER_LEAD_CLAUSE):
                return self._restated(result, again)
        return result

    def _edge_typo(self, result: ParseResult, said: list[str]) -> ParseResult:
        """A command or a yes holding a typo of a negation, a time, a condition or a no ("nver, buy 2 ES",
        "achète 2 ES, demin"): refused, whatever stage passed over the word. `said`: the words of `result.text`."""
        if not result.matched or result.intent in self._read_only or result.intent == "cancel" \
                or self._edges is None:
            return result
        typo = self._edges.typo_of_meaning(said)
        if typo is None:
            return result
        return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason="no_match",
                       detail=f"'{typo}' may be a negation, a time or a condition typed wrong", nearest=result.intent)

    def _price_fits(self, result: ParseResult) -> bool:
        """False when the order's price was said in a trader's shape ("sixty seventy") outside its market's
        range ("buy 2 MNQ at sixty seventy": 6070 is no MNQ price). A price said as one number is as said."""
        if not self._prices:
            return True  # (no market's price range given: no trader-shaped price is ever read)
        said = normalize(str(result.slot_text.get("price", "")))
        comp = self._compiled.get(result.language or "")
        if comp is None or not said or comp.numbers.parse(said) is not None \
                or self._prices.read(said.split(), comp.numbers.parse) is None:
            return True
        return self._prices.fits(str(result.slots.get("symbol", "")), float(result.slots["price"]))

    def says_paper(self, text: str) -> bool:
        """The sentence asks for a paper (simulated) command ("placer un trade papier long sur ES", "sim
        buy 2 ES"): understood as the command, which a live session must not send for real."""
        return self._paper_cues.paper(normalize(text).split())

    def _slash(self, text: str, command: SlashCommand, lang: str, prefer: str | None) -> ParseResult:
        """A chat slash command (assistant/nlu/slash.py): exactly the intent it names, with the
        arguments that command takes, or refused (`unknown_command`); a command the bot does not
        know is read as its words only when they ask a read-only question ("/cvar").
        A command word says nothing of the language: the conversation's (`prefer`) answers."""
        code = lang if lang in self._compiled else prefer if prefer in self._compiled else self.default_language
        action = ACTION_COMMANDS.get(command.name)
        if action is not None and (command.args or action.args[:1] != ("mode",)):  # ("/autopilot": its state)
            return self._slash_action(text, command, action, self._compiled[code])
        if command.intent is None:
            # "/cvar", "/perf", "/aide": not a bot command, but a question in its words is answered as
            # typed without the slash; an action ("/buy 2 ES", "/flat") never comes from one.
            said = self.parse(f"{command.name} {command.args}".strip(), lang, prefer=prefer)
            if said.matched and said.intent in self._read_only:
                return replace(said, text=text)
        norm = normalize(text)
        slots: dict[str, object] | None = {} if not command.args else None
        slot_text: dict[str, str] = {}
        if command.args and (command.name in SYMBOL_ARG or command.name == RISK_COMMAND):
            for comp in (self._compiled[code], *self._all_languages):
                items = comp.scan_items(normalize(command.args) + " ")
                values = [item for item in items if not isinstance(item, str)]
                if values and len(values) == len(items):  # values only, no other word
                    slots, slot_text = self._slash_args(comp, command.name, values)
                    break
        if command.name == RISK_COMMAND and (slots is None or "risk_percent" not in slots):
            slots = None  # "/risk" alone, "/risk ES": the bot answers with its usage
        if command.intent is None or slots is None:
            return ParseResult(text, norm, False, None, language=code, language_certain=False, score=1.0,
                               reason="unknown_command",
                               detail=f"/{command.name}: no such command, or not with these arguments",
                               nearest=command.intent)
        return ParseResult(text, norm, True, command.intent, dict(slots), slot_text, code, False, 1.0, "exact")

    @staticmethod
    def _slash_action(text: str, command: SlashCommand, action: ActionCommand, comp: CompiledLanguage) -> ParseResult:
        """An order, close or switch command ("/buy 2 MNQ", "/flat", "/close ES"): the action, read
        back and confirmed as the typed sentence is; refused (`command_usage`) unless its arguments
        follow the command's strict grammar (assistant/nlu/slash.py)."""
        def convert(slot: str, word: str) -> object | None:
            value, error = comp.convert(slot, word, slot)
            return None if error else value

        norm = normalize(text)
        slots = action_slots(action, normalize(command.args), convert)
        if slots is None:
            return ParseResult(text, norm, False, None, language=comp.code, language_certain=False, score=1.0,
                               reason="command_usage", detail=f"usage: /{command.name} {action.usage}".rstrip(),
                               nearest=action.intent)
        return ParseResult(text, norm, True, action.intent, slots, {k: str(v) for k, v in slots.items()},
                           comp.code, False, 1.0, "exact")

    @staticmethod
    def _slash_args(comp: CompiledLanguage, name: str,
                    values: list[ScannedValue]) -> tuple[dict[str, object] | None, dict[str, str]]:
        """Slots of a slash command's arguments: one market ("/positions ES"), or a percentage and
        an optional market ("/risk 1 ES", "/risk 0,5 %"); None when they are anything else."""
        slots: dict[str, object] = {}
        slot_text: dict[str, str] = {}
        if name == RISK_COMMAND and values[0].kind in (NUMBER_KIND, PERCENT_KIND):
            percent = comp.literal_value(values[0])
            if percent is None:
                return None, {}
            slots["risk_percent"] = float(percent)
            slot_text["risk_percent"] = values[0].text
            values = values[1:]
        if len(values) > 1 or (name != RISK_COMMAND and not values):
            return None, {}
        for item in values:
            if item.list_name != "symbol":
                return None, {}
            slots["symbol"] = comp.literal_value(item)
            slot_text["symbol"] = item.text
        return slots, slot_text

    def _unsupported(self, refused: ParseResult, lang: str, prefer: str | None) -> ParseResult:
        """`refused` with its reason `unsupported_<kind>` when it is an order carrying what MIA cannot
        honour (a stop, a target, a time, a condition, two orders: assistant/nlu/order_extras.py), so
        the dialogue says why; as it was otherwise. Never makes a sentence understood."""
        assert self._extras is not None
        norm = normalize(refused.text)
        if not self._extras.may_apply(norm.split()):
            return refused
        kind = self._extras.kind(self._unskipped(norm), lambda part: self._parse_or_read(part, lang, prefer))
        if kind is None:
            return refused
        return ParseResult(refused.text, refused.normalized, False, None, language=refused.language,
                           language_certain=refused.language_certain, score=1.0, method=refused.method,
                           reason=f"unsupported_{kind}", detail=_UNSUPPORTED_DETAIL[kind],
                           nearest=refused.nearest or refused.intent)

    def _unskipped(self, norm: str) -> list[str]:
        """The words of a normalised sentence without any language's skip words (politeness is no
        condition: "si c'est possible, achète des ES")."""
        spaced = norm + " "
        for comp in self._all_languages:
            spaced = comp.strip_skip(spaced) or " "
        return spaced.split()

    def _unhonoured(self, result: ParseResult, said: list[str]) -> ParseResult:
        """`result` refused as `unsupported_<kind>` when the order or close it understood says what MIA
        cannot honour (`OrderExtras.said`: a time, a session, a condition; a stop or a target for an order),
        whatever stage read it ("buy 2 ES in the morning", "close ES market open": never sent now); as it
        was otherwise (on the sentence as understood: an aside dropped was vetted by its stage); refused too
        when the sentence as said stops on a join (`OrderExtras.cut_off`: "buy two ES and"). `said`: the words
        of `result.text`."""
        if self._extras is None or result.intent not in _EXTRA_CHECKED or not (
                result.matched or (result.reason or "").startswith("missing_")):
            return result
        if result.method != "exact" and self._extras.cut_off(result.text, result.intent):
            # (an exact match is a path of the grammar, every word explained: "… do me a favor and")
            # "buy two ES and", "ferme tout et": the sentence as said stops on a join, a part lost
            return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason="no_match",
                           detail="a command cut off after a join: what came next?", nearest=result.intent)
        norm = result.normalized or normalize(result.text)
        if result.intent == "place_trade" and self._extras.says_span(said):
            kind: str | None = "time"  # "buy 2 ES for the weekend": said anywhere, a trailer dropped too
        elif self._extras.says_skip_time(said):
            kind = "time"  # "buy 2 ES just now, boet": in a while (South Africa), its words all skip words
        elif self._extras.said_of_command(norm.split(), result.intent) is None:
            return result  # (the cheap gate: no cue even with the skip words, as most commands)
        else:
            kind = self._extras.said_of_command(self._unskipped(norm), result.intent)
        if kind is None:
            return result
        return ParseResult(result.text, result.normalized, False, None, language=result.language,
                           language_certain=result.language_certain, score=1.0, method=result.method,
                           reason=f"unsupported_{kind}", detail=_UNSUPPORTED_DETAIL[kind], nearest=result.intent)

    def _not_given(self, result: ParseResult, said: list[str]) -> ParseResult:
        """`result` refused when the command it understood is said but not given (`NotGiven`: someone else's
        order told, one kept for later, an example, a command to type), whatever stage read it ("my coach says
        buy 2 ES", "rappelle-moi de fermer le ES"), an order or a close said as a rule for the future ("from now on
        sell 2 MNQ"), or a repeat that asks for an order again ("repeat the last order": MIA's repeat says its
        last answer, nothing re-sends an order); as it was otherwise. On the sentence as said (an aside dropped
        by a stage may be the one that tells). `said`: the words of `result.text`."""
        cues = self._not_given_cues
        if cues is None or result.intent not in _NOT_GIVEN_INTENTS \
                or not (result.matched or (result.reason or "").startswith("missing_")):
            return result
        if cues.gate.isdisjoint(said) and QUOTE_MARKS.isdisjoint(result.text):
            return result  # (the cheap gate: no cue's longest word, no quote mark, as most commands)
        reason = "no_match"
        if result.intent in _NOT_GIVEN_CHECKED:
            if cues.wrapped(said) or cues.quoted(result.text):
                # (said as `unsupported_indirect`, the reason of the order_extras kind of the same family)
                reason = "unsupported_indirect"
                detail = "a command told, planned, shown or quoted, not given: say it as your own order"
            elif result.intent in _STANDING_CHECKED and cues.standing(said):
                detail = "an order or a close as a rule for the future: one now, or one each time?"
            else:
                return result
        elif result.matched:  # (a repeat)
            if not cues.order_again(said):
                return result
            detail = "an order asked again: MIA re-sends none (say the order itself)"
        else:
            return result
        return ParseResult(result.text, result.normalized, False, None, language=result.language,
                           language_certain=result.language_certain, score=1.0, method=result.method,
                           reason=reason, detail=detail, nearest=result.intent)

    def _greeting(self, normalized: str, lang: str) -> str | None:
        """The language of a sentence made of greetings only (and the assistant's name, "please"),
        or None."""
        tokens = normalized.split()
        for code, (own, allowed) in self._greetings.items():
            if lang not in ("auto", code) and base_language(lang) != code:
                continue
            if tokens and own.intersection(tokens) and allowed.issuperset(tokens):
                return code  # at least one greeting only this language says ("mia" alone says none)
        return None

    #: Cue categories that make a refused sentence about trading, whatever small talk it also holds.
    _TRADING_CUES = ("yes", "yes_typed", "no", "cancel", "close", "halt", "resume", "reduce_only", "autopilot",
                     "switch_on", "switch_off", "risk", "topic", "weak", "side")

    def _small_talk(self, text: str, lang: str) -> str | None:
        """The language of a refused sentence that holds small talk (`chit_chat` cues: "how are you", the weather,
        sport) and no word of trading (no command, topic, market, number or answer), or None."""
        if self._frames is None:
            return None
        norm = normalize(text)
        if not self._frames.may_hold(norm.split(), "chit_chat"):
            return None  # (the cheap gate: no word may begin a small-talk cue, so no analysis below finds one)
        codes = []
        for comp in self._select(lang):
            spaced = comp.strip_skip(norm + " ")
            if not spaced.strip():
                continue
            a = self._frames.analysis(comp, spaced, text)
            if a.has("chit_chat") and not (a.has(*self._TRADING_CUES) or a.sides or a.symbols or a.numbers
                                           or a.percents or a.prices or a.switch_words or a.modes):
                codes.append(comp.code)
        # (the sentence's language when several read small talk in it: "tu vas bien" holds no English cue,
        # but the cue tables share words)
        return self._pick_language(codes, norm.split(), None)[0] if codes else None

    def _parse(self, text: str, lang: str, prefer: str | None) -> ParseResult:
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        langs = self._select(lang)
        norm = normalize(text)
        spaced = norm + " " if norm else ""
        per_lang: list[tuple[CompiledLanguage, str]] = []
        only_filler = not spaced
        for comp in langs:
            stripped = comp.strip_skip(spaced) if spaced else ""
            if stripped:
                per_lang.append((comp, stripped))
            else:
                only_filler = True
        if only_filler:
            return ParseResult(text, norm, False, None, reason="empty",
                               detail="nothing to understand (empty or filler words only)")

        hits: list[tuple[CompiledLanguage, str, ExactHit]] = []
        # Second attempts: without leading "ok"/"alors" and with stutters collapsed. The
        # fuzzy stage below works on these too.
        variants: list[tuple[CompiledLanguage, str]] = []
        said: list[list[str]] = []
        first: list[ExactHit | None] = []
        matched_as_said = False
        for comp, stripped in per_lang:
            words = stripped.split()
            hit = comp.match_exact(stripped) if comp.could_match_exactly(words) else None
            said.append(words)
            first.append(hit)
            if hit is not None:
                matched_as_said = True
        # With a language matched as said, a second attempt only matters where it can match: the
        # variants are not used otherwise (a hit returns below).
        for (comp, stripped), words, hit in zip(per_lang, said, first):
            if hit is not None:
                hits.append((comp, stripped, hit))
                variants.append((comp, stripped))
                continue
            if matched_as_said and not comp.variant_may_match(words):
                variants.append((comp, stripped))
                continue
            variant = comp.variant(stripped)
            variants.append((comp, variant))
            if variant is not stripped and comp.could_match_exactly(variant.split()):
                hit = comp.match_exact(variant)
                if hit is not None and self._contradicts(comp, stripped, hit):
                    return ParseResult(text, stripped[:-1], False, None, language=comp.code, score=1.0,
                                       method="exact", reason="ambiguous_intent",
                                       detail="the sentence says two opposite answers", nearest=hit.intent)
                if hit is not None:
                    hits.append((comp, variant, hit))
        as_said = per_lang  # the frame stage reads lead words too ("yes but cancel")
        per_lang = variants
        if len(hits) > 1 and any(not h[2].missing for h in hits):
            # A complete command in one language beats an incomplete one in the other.
            hits = [h for h in hits if not h[2].missing]
        tokens = norm.split()
        if hits:
            alternatives: list[tuple[str, float]] = []
            if len(hits) == 1:  # (what the general case below makes of one hit)
                comp, stripped, hit = hits[0]
                code, certain = comp.code, True
            else:
                code, certain = self._pick_language((c.code for c, _, _ in hits), tokens, prefer)
                comp, stripped, hit = next(h for h in hits if h[0].code == code)
                alternatives = sorted({(h.intent, 1.0) for c, _, h in hits
                                       if c.code != code and h.intent != hit.intent})
            if hit.error is None and "quantity" in hit.slot_text and not self._quantity_as_scanned(comp, stripped, hit):
                return ParseResult(text, stripped[:-1], False, hit.intent, hit.slots, hit.slot_text,
                                   code, certain, 1.0, "exact", alternatives, "ambiguous_quantity",
                                   "the quantity may be part of a market's name", nearest=hit.intent)
            if hit.error is not None:
                return ParseResult(text, stripped[:-1], False, hit.intent, hit.slots, hit.slot_text,
                                   code, certain, 1.0, "exact", alternatives, hit.error[0], hit.error[1],
                                   hit.missing, hit.typed_only, hit.intent)
            return ParseResult(text, stripped[:-1], True, hit.intent, hit.slots, hit.slot_text,
                               code, certain, 1.0, "exact", alternatives, typed_only=hit.typed_only)

        if not self.fuzzy_enabled:
            code, certain = self._pick_language((c.code for c, _ in per_lang), tokens, prefer)
            stripped = next(s for c, s in per_lang if c.code == code)
            return ParseResult(text, stripped[:-1], False, None, language=code, language_certain=certain,
                               reason="no_match", detail="no exact grammar match (fuzzy matching is off)")

        # Fuzzy matching is the expensive part: skip languages the words rule out (a sentence
        # with French-only words and no English-only word is not fuzzed as English).
        evidence = {c.code: sum(map(self._exclusive[c.code].__contains__, tokens)) for c, _ in per_lang}
        if max(evidence.values()) > 0:
            per_lang = [(c, s) for c, s in per_lang if evidence[c.code] > 0]
        outcomes: list[tuple[CompiledLanguage, str, FuzzyOutcome]] = [
            (comp, stripped, self._carriers[comp.code].match(stripped, self.accept, self.margin, self.refuse))
            for comp, stripped in per_lang
        ]
        rank = {"accept": 2, "refuse": 1, "none": 0}
        best_key = max((rank[o.status], round(o.score, 6)) for _, _, o in outcomes)
        if best_key[0] == 0:
            # Nothing recognised anywhere: the language is a matter of vocabulary, not score.
            leaders = outcomes
        else:
            leaders = [(c, s, o) for c, s, o in outcomes if (rank[o.status], round(o.score, 6)) == best_key]
        code, certain = self._pick_language((c.code for c, _, _ in leaders), tokens, prefer)
        comp, stripped, out = next(item for item in leaders if item[0].code == code)
        if len(outcomes) > 1 and len(leaders) == 1:
            certain = True
        alternatives = [a for a in out.alternatives if a[0] != out.intent]
        matched = out.status == "accept"
        # A switch whose value was not said (assistant/nlu/fuzzy.py `_value_unsaid`) is vetoed like
        # an accepted one: "autopilot" alone names the autopilot, it asks no switch.
        unsaid_value = out.status == "refuse" and not out.missing and (out.reason or "").startswith("missing_")
        # ...and so is a risk setting with no value that is a question ("what's my risk on ES"): the setting is
        # asked about, never a follow-up question for a new value (#13: `missing_risk_percent` only for a command).
        unsaid_value = unsaid_value or (out.status == "refuse" and out.reason in _RISK_VALUE_UNCLEAR)
        veto = self._frames.vetoes(stripped, out.intent, asked=norm if "?" in text else None, language=comp.code) \
            if (matched or unsaid_value) and self._frames is not None else None
        if veto is not None:
            # "hey how's it going" is close to "how is it going" (performance), "il a fermé tout"
            # to "ferme tout": an approximate match never turns these into a request. A switch
            # asked about ("l'autopilote est coupé ?") may still be a question about its state.
            if veto == SWITCH_QUESTION and self._frames is not None:
                framed = self._frame(text, as_said, tokens, prefer, out)
                if framed is not None and framed.matched and framed.intent in STATE_INTENTS:
                    return framed
            return ParseResult(text, stripped[:-1], False, None, language=code, language_certain=certain,
                               score=round(out.score, 4), method="fuzzy", reason="no_match",
                               detail=veto, nearest=out.intent)
        if matched and out.intent == "confirm" and self._frames is not None:
            # An approximate yes must also be a clean one: "yes go back" is close to "yes go
            # ahead", and a yes with other words in it is doubt (the frames' answer rule).
            framed = self._frame(text, as_said, tokens, prefer, out)
            if framed is not None and framed.reason == UNCLEAR_ANSWER:
                return framed
        if not matched and self._frames is not None and self._frames_may_try(out):
            framed = self._frame(text, as_said, tokens, prefer, out)
            if framed is not None:
                return framed
        return ParseResult(
            text, stripped[:-1], matched, out.intent, out.slots, out.slot_text, code, certain,
            round(out.score, 4), "fuzzy" if out.status != "none" or out.intent else "none",
            alternatives, None if matched else out.reason, None if matched else out.detail,
            () if matched else out.missing, out.typed_only, None if matched else out.nearest,
        )


    # ------------------------------------------------------------------ slot-filling reader
    def _parse_or_read(self, text: str, lang: str, prefer: str | None) -> ParseResult:
        """Stages 1-4, then the slot-filling reader (4b) when they refused in a way it may overrule."""
        result = self._parse(text, lang, prefer)
        if not result.matched and self._slot_reader is not None and result.reason in _SLOT_READABLE:
            result = self._read_slots(result, lang, prefer) or result
        return result

    def _read_slots(self, refused: ParseResult, lang: str, prefer: str | None) -> ParseResult | None:
        """An order said as its slots in any order ("prix 5012,25 qté 3 achat MNQ", "qty 10 MNQ"),
        read by assistant/nlu/slot_reader.py; None when the reader leaves a word unexplained."""
        assert self._slot_reader is not None
        norm = normalize(refused.text)
        said = norm.split()
        if not self._slot_reader.may_read(said) and not any(
                self._slot_reader.may_read(_without_lead(comp, norm + " ").split()) for comp in self._select(lang)):
            return None  # (lead words aside: "yeah, buy a micro")
        # (without its lead words, as the exact stage reads it: "ok buy a micro", "yo, buy a micro"; a stutter
        # stays: "buy two two MNQ" may be twenty-two)
        languages = [(comp, _without_lead(comp, comp.strip_skip(norm + " "))) for comp in self._select(lang)]
        languages = [(comp, stripped) for comp, stripped in languages if stripped.strip()]
        if not languages:
            return None
        code, certain = self._pick_language((c.code for c, _ in languages), said, prefer or refused.language)
        if not certain and len(languages) > 1:
            # Words no template knows may still be one language's labels ("qté", "qty").
            votes = {c.code: self._slot_reader.language_words(c.code, said) for c, _ in languages}
            best = max(votes.values())
            if best and list(votes.values()).count(best) == 1:
                code, certain = max(votes, key=lambda c: votes[c]), True
        languages.sort(key=lambda item: item[0].code != code)
        selected = [comp for comp, _ in languages]
        # The sentence's language first (the other's side words and numbers count too: "je veux
        # buy 2 ES"); the other language only when that reads nothing ("s and p" forms).
        for comp, stripped in languages:
            order = self._slot_reader.read(comp, stripped, [c for c in selected if c is not comp])
            if order is not None:
                break
        else:
            return None
        if order.missing:
            slot = order.missing[0]
            return ParseResult(refused.text, stripped[:-1], False, "place_trade", dict(order.slots),
                               dict(order.slot_text), comp.code, certain, 1.0, "frame", [], f"missing_{slot}",
                               f"an order without its {slot}", order.missing, nearest="place_trade")
        return ParseResult(refused.text, stripped[:-1], True, "place_trade", dict(order.slots),
                           dict(order.slot_text), comp.code, certain, 1.0, "frame")

    def _fix_typos(self, refused: ParseResult, lang: str, prefer: str | None) -> ParseResult | None:
        """The sentence with its typos corrected (assistant/nlu/typos.py: one unique grammar
        word one edit away), parsed again; None unless that is understood or incomplete."""
        assert self._typos is not None
        said = normalize(refused.text).split()
        unglued = self._typos.unglued(said)  # "achète 2ES": the space before the market
        said = unglued or said
        # A stretched word ("ouiii", "yesss") is the one known word its letters spell: no guess,
        # so a yes or a resume may be read that way (a typo never becomes one).
        unstretched = self._typos.unstretched(said)
        if unstretched is None and unglued is not None and not self._typos.unknown(said):
            corrected: str | None = " ".join(said)
        else:
            corrected = unstretched or self._typos.correct(said)
        side_only = corrected is None and (corrected := self._typos.short_side(said)) is not None
        homophone = corrected is None and (corrected := self._typos.homophone_side(said)) is not None
        if homophone and "side" in self._parse_or_read(" ".join(said[1:]), lang, prefer).slots:
            return None  # "by 2 ES at la hausse": the rest says a side of its own
        side_only = side_only or homophone
        if corrected is None and refused.reason == "ambiguous_symbol":
            side_only = (corrected := self._typos.market_typo(said)) is not None  # "buy 2 ESS": whole orders only
        if corrected is None:
            return None
        again = self._parse_or_read(corrected, lang, prefer)
        if unstretched is None and again.intent in _NO_TYPO_INTENTS:
            return None  # "release the kipll switch": a resume, a yes or a mode switch is never guessed
        if side_only and not (again.matched and again.intent == "place_trade"):
            return None  # "sel 2 ES" is a whole order or nothing
        if again.matched or (again.reason or "").startswith("missing_"):
            # Typed only: a recogniser's odd word ("achter") is a mishearing, never corrected into
            # a side or an action (the dialogue does not act on it from speech).
            return replace(again, text=refused.text, typed_only=True)
        return None

    def _order_asked(self, text: str) -> bool:
        """True for an order or a close said with a "?" last and no polite or request word, MIA not
        addressed ("achète 2 ES ?", "buy 2 ES??": should I?; "achète 2 ES stp ?" is a request)."""
        return bool(self._requesting) and text.rstrip().endswith("?") \
            and self._requesting.isdisjoint(normalize(text).split())

    def _contraction_passed_over(self, answer: ParseResult, lang: str, prefer: str | None) -> ParseResult:
        """A question the frames answered over a contracted word ("ferm tout bann position": the positions) is
        what the words said in full mean ("ferme toutes les positions": a close, read back); when that is not
        understood, or is another question, the sentence is refused, never answered without those words."""
        assert self._restater is not None
        full = self._restater.expanded((answer.normalized or normalize(answer.text)).split(), answer.text)
        if full is None:
            return answer
        again = self.parse(full.text + (" ?" if "?" in answer.text else ""), lang, prefer=prefer)
        if again.matched and again.intent == answer.intent:
            return answer
        if again.matched:
            return self._restated(answer, again)
        return replace(answer, matched=False, intent=None, slots={}, slot_text={}, reason="no_match",
                       detail="a contracted word that changes what is asked", nearest=answer.intent)

    def _typo_passed_over(self, answer: ParseResult, lang: str, prefer: str | None) -> ParseResult:
        """A question the frames answered over an unknown word ("cloturre ma position ES": the
        positions) is no answer when that word is a typo of a command word: the corrected sentence
        is what was meant (parsed again, its own rules apply), and when that is not understood the
        sentence is refused, never answered as if the word were not there."""
        assert self._typos is not None
        said = (answer.normalized or normalize(answer.text)).split()
        if not self._typos.unknown(said):  # (the cheap gate: one set look-up a word)
            return answer
        if self._typos.correct(said) is not None:
            fixed = self._fix_typos(answer, lang, prefer)
            if fixed is not None:
                return fixed
        elif not self._typos.near_command(said):
            return answer
        # (not corrected, yet one edit from a command word: "ferm tout mé positions", ferme or "term"?)
        return replace(answer, matched=False, intent=None, slots={}, slot_text={}, reason="no_match",
                       detail="a word that may be a command's, mistyped", nearest=answer.intent)

    # ------------------------------------------------------------------ restatements
    def _restate(self, refused: ParseResult, lang: str, prefer: str | None) -> tuple[ParseResult, bool]:
        """`refused` said again the way it was meant (see assistant/nlu/restate.py), or as it was.
        The flag is True when the answer is final (no classifier after it): a restated sentence
        was understood, or a self-correction could not be read (refused, never guessed)."""
        assert self._restater is not None
        norm = normalize(refused.text)
        said = norm.split()
        if self._restater.may_be_chat_order(said):
            # "b 1 es", "vd 4 mnq", "s1 mnq @ 21000 pls": an order typed in chat shorthand, in a ticket's
            # shape only (a quantity glued to the market split first: "b 3es"). Glued, it is typed only, as
            # any glued number ("achète 2ES").
            unglued = self._typos.unglued(said) if self._typos is not None else None
            for comp in self._select(lang):
                chat = self._restater.chat_order(comp, " ".join(unglued or said) + " ")
                if chat is not None:
                    again = self.parse(chat.text, lang, prefer=prefer)
                    if again.matched and again.intent == "place_trade":
                        glued = unglued is not None or chat.kind == "chat_glued"
                        return replace(again, text=refused.text, typed_only=again.typed_only or glued), True
                    break
        if said and self._shapes and (shaped := self._shapes.reshaped(said, self._is_number)) is not None:
            # "limit buy at 5890 for 1 ES", "achète 2 ES à 5910 au plus": an order in a trader's shape, said plainly
            again = self.parse(shaped.text + (" ?" if "?" in refused.text else ""), lang, prefer=prefer)
            if _keeps_shape(again, shaped):
                return self._restated(refused, again), True
        if "?" not in refused.text and said:
            # "risque par trade 0.8", "set risk 1.25": after a label that only names a percentage, the
            # figure is one (a question is left alone: "risk 0.5?" asks, it sets nothing).
            labelled = self._restater.labelled_percent(said)
            if labelled is not None:
                again = self._parse(labelled.text, lang, prefer)
                if again.matched and again.intent == "set_risk":
                    return self._restated(refused, again), True
        if refused.reason == "ambiguous_quantity":
            # "sell thirteen, uh, thirteen e-mini": one number said twice.
            for comp in self._select(lang):
                stripped = comp.strip_skip(norm + " ")
                once = self._restater.without_repeat(comp, stripped, norm + " ", refused.text) if stripped else None
                if once is not None:
                    again = self._parse(once.text, lang, prefer)
                    if again.matched or (again.reason or "").startswith("missing_"):
                        return self._restated(refused, again), True
                    break
        if refused.reason in _REPEATABLE:
            # "achète 2 ES euh 2 ES", "buy two uh buy two ES": the same words said twice, said once.
            for comp in self._select(lang):
                stripped = comp.strip_skip(norm + " ")
                once = self._restater.without_repeated_run(stripped.split(), self._number_words) if stripped else None
                if once is not None:
                    again = self.parse(once.text + (" ?" if "?" in refused.text else ""), lang, prefer=prefer)
                    if again.matched or (again.reason or "").startswith("missing_"):
                        return self._restated(refused, again), True
                    break
        if said and (full := self._restater.expanded(said, refused.text)) is not None:
            # "chui long combien d'ES": said again in full words, through every stage.
            # What the full words make of it is final, refusal included ("chais pas, achète 2 ES": doubt).
            again = self.parse(full.text + (" ?" if "?" in refused.text else ""), lang, prefer=prefer)
            return self._restated(refused, again), True
        if said and (preamble := self._preamble(refused, said, lang, prefer)) is not None:
            return preamble, True
        if said and (commented := self._commentary(refused, lang, prefer)) is not None:
            return commented, True
        if said and (aside := self._aside(refused, said, lang, prefer)) is not None:
            return aside, True
        if said and not self._restater.tag_words.isdisjoint(said) \
                and (tagged := self._restater.untagged_question(said)) is not None:
            # "are we live right now or not", "le bot est en pause ou quoi ?": the question without its tag,
            # through every stage; only a read-only answer stands.
            again = self.parse(tagged.text + " ?", lang, prefer=prefer)
            if again.matched and again.intent in self._read_only:
                return self._restated(refused, again), True
        corrects, hesitates, asks = self._restater.may_apply(said)
        if not (corrects or hesitates or asks):
            return refused, False
        # The restated words lose the punctuation: a question stays a question for the frames.
        asked = " ?" if "?" in refused.text else ""
        languages: list[tuple[CompiledLanguage, str]] = []
        for comp in self._select(lang):
            stripped = comp.strip_skip(norm + " ")
            if stripped:
                languages.append((comp, stripped))
        if not languages:
            return refused, False
        code, _ = self._pick_language((c.code for c, _ in languages), said, prefer or refused.language)
        languages.sort(key=lambda item: item[0].code != code)
        if self._frames is not None and not self._frames.says_something(*languages[0], refused.text):
            # Nothing the frames recognise (no value, no topic, no action word): "tell me a joke"
            # said again is still nothing (the analysis is usually the frames stage's, memoised).
            return refused, False
        # 0. A whole command said again after a correction marker ("close ES, um no, close
        # everything"): kept when both parts are complete commands of the same intent.
        parts = self._restater.restart(said) if corrects else None
        if parts is not None:
            first, second = (self._parse(part, lang, prefer) for part in parts)
            if first.matched and second.matched and first.intent == second.intent \
                    and first.intent not in _ANSWERS and first.intent != "followup_answer":
                return self._restated(refused, second), True
            cut = parts[0].split()
            if second.matched and second.intent in _RESTARTABLE and not first.slots \
                    and (len(cut) == 1 or (len(cut) == 2 and not first.matched)) \
                    and not any(self._restater.negations.at(words, k) for words in (cut, parts[1].split())
                                for k in range(len(words))):
                # "débloque… pardon, déboucle tout", "vide… non, déboucle l'ES": a verb alone, cut
                # off (a slip) and said again as a whole command (no value, no negation anywhere).
                return self._restated(refused, second), True
            if first.matched and first.intent in _BARE_CORRECTABLE and not (
                    second.matched and second.intent not in (first.intent, "followup_answer")):
                # 0b. A bare value said again ("ferme tout… enfin non, juste le MNQ", "mets le
                # pilote en automatique, euh non, en proposition"): see `_bare_correction`.
                bare = self._bare_correction(first, parts[1].split(), lang, prefer)
                if bare is not None:
                    return self._restated(refused, bare), True
        # 1. A self-correction, read in the first language whose words make one of it.
        unreadable = False
        for comp, _ in (languages if corrects else ()):
            # As said: skip words hold markers too ("actually", "I mean").
            corrected = self._restater.correction(comp, norm + " ")
            if corrected is False:
                unreadable = True
            elif isinstance(corrected, Restatement):
                again = self._parse(corrected.text + asked, lang, prefer)
                if not (again.matched or (again.reason or "").startswith("missing_")) and hesitates:
                    # "mets-moi, euh, attends, vingt-deux… non vingt-trois MNQ à l'achat": the pause
                    # before the corrected value is dropped too, and then the lead words ("ok listen").
                    paused = self._restater.without_hesitations(corrected.text.split())
                    if paused is not None:
                        again = self._parse(paused.text + asked, lang, prefer)
                        lead = comp.lead(paused.text + " ")
                        if not again.matched and lead:
                            again = self._parse(paused.text[len(lead):] + asked, lang, prefer)
                if again.matched or (again.reason or "").startswith("missing_"):
                    return self._restated(refused, again), True
                unreadable = True
                break
        if unreadable:
            return ParseResult(refused.text, refused.normalized, False, None, language=refused.language,
                               language_certain=refused.language_certain, reason="no_match",
                               detail="a self-correction that does not say one clear replacement",
                               nearest=refused.nearest or refused.intent), True
        # 2. An indirect question unwrapped; 3. time-buying phrases dropped (and then an indirect
        # question unwrapped: "je me demande, attends voir, si…"). On the words as said: skip
        # words hold wrappers too ("do *you know* if", "tu sais si").
        comp = languages[0][0]
        tokens = said
        for attempt in range(2):
            leads = (0, len(comp.lead(" ".join(tokens) + " ").split()))
            inner = self._restater.unwrapped_question(tokens, leads) if asks else None
            if inner is not None:
                # what "dis-moi si…" / "do you know if…" wraps is a question, "?" typed or not
                again = self._parse(inner.text + " ?", lang, prefer)
                if self._classifier is not None and not again.matched and again.reason in _CLASSIFIABLE:
                    again = self._classify(again)
                if again.matched and again.intent in self._read_only:
                    return self._restated(refused, again), True
            if attempt or not hesitates:
                break
            hesitant = self._restater.without_hesitations(tokens)
            if hesitant is None:
                break
            again = self._parse(hesitant.text + asked, lang, prefer)
            if again.intent in _ANSWERS and self._restater.ends_with_go_ahead(tokens):
                break  # "no... ok do it": an answer that corrects itself stays refused
            if again.intent in _ANSWERS and refused.reason == UNCLEAR_ANSWER:
                break  # "no, that's fine", "non ça ira": an answer found doubtful stays so, whatever ends it
            if again.matched or (again.reason or "").startswith("missing_"):
                return self._restated(refused, again), True
            tokens = hesitant.text.split()
        return refused, False

    def _answer_then(self, result: ParseResult, split: tuple[str, bool], asked: bool, lang: str,
                     prefer: str | None) -> ParseResult:
        """"non et ferme tout", "no and close everything", "oui et passe en reduce-only": a yes or a no joined
        to a command (`FrameMatcher.after_answer`) is that command (read back in turn). With a word that adds
        it to the read-back ("yes and buy 2 micros *too*") it is two commands: refused, MIA asks again."""
        rest, adds = split
        if adds:
            if not (result.matched or (result.reason or "").startswith("missing_")):
                return result
            return replace(result, matched=False, intent=None, slots={}, slot_text={}, reason=UNCLEAR_ANSWER,
                           detail="a yes or a no then another command as well: two commands", nearest=result.intent)
        if result.matched or (self._extras is not None and self._extras.says_extra(rest.split())):
            return result  # "oui et mets un stop", "yes and add a stop": the read-back's stop-loss, never a halt
        again = self.parse(rest + (" ?" if asked else ""), lang, prefer=prefer)
        if again.matched and again.intent not in _ANSWERS and again.intent != "followup_answer":
            return self._restated(result, again)
        return result

    def _no_instead(self, result: ParseResult, rest: str, lang: str, prefer: str | None) -> ParseResult:
        """A no then a command with an `answer_instead` marker ("non, coupe tout plutôt", "no, just halt trading")
        is that command when it is a way out or a whole new order (`_INSTEAD`; read back in turn: "no, just buy 2
        ES instead"); anything else, or an order missing a slot, stays refused as it was."""
        again = self.parse(rest, lang, prefer=prefer)
        if again.matched and again.intent in _INSTEAD:
            return self._restated(result, again)
        return result

    def _preamble(self, refused: ParseResult, said: list[str], lang: str, prefer: str | None) -> ParseResult | None:
        """"i don't want anything on, close it all", "on arrête pour aujourd'hui, plus aucun ordre":
        the command after a mood clause (`Restater.without_preamble`), kept only when it is a close
        or a halt (complete, or a close asking which market). The clause alone, or before anything
        else ("je veux plus rien en position, achète 2 ES"), changes nothing: refused as it was."""
        assert self._restater is not None
        for comp in self._select(lang):
            leads = (0, len(comp.lead(" ".join(said) + " ").split()))
            rest = self._restater.without_preamble(said, leads)
            if rest is None:
                continue
            again = self._parse_or_read(rest.text, lang, prefer)
            if again.intent in _AFTER_PREAMBLE and (
                    again.matched or (again.intent == "close_positions" and (again.reason or "").startswith("missing_"))):
                return self._restated(refused, again)
            return None
        return None

    def _commentary(self, refused: ParseResult, lang: str, prefer: str | None) -> ParseResult | None:
        """"franchement je le sens pas ce marché, vends 2 micro", "bears are in control imo, sell 5
        MNQ": a whole order, close or halt said after a clause that only comments
        (`Restater.commentary_splits`, `FrameMatcher.plain_commentary`). Never with a question, nor
        when the comment holds a time, a stop, a target or a condition (`OrderExtras.says_extra`)."""
        assert self._restater is not None
        if self._frames is None or "?" in refused.text:
            return None
        # (past the last split whose comment only comments, a split can only refuse: no command read there)
        for head, tail in _up_to_last(self._restater.commentary_splits(refused.text),
                                      lambda split: self._plain_comment(split[0])):
            again = self._parse_or_read(tail, lang, prefer)
            if not again.matched and (then := self._aside(again, tail.split(), lang, prefer)) is not None:
                again = then  # "… so buy me two ES at market please | and we'll see"
            if not again.matched and (bare := self._restater.without_hesitations(tail.split())) is not None:
                again = self._parse_or_read(bare.text, lang, prefer)  # "I'm done waiting, buy 2 ES | and that's it"
            if not (again.matched and again.intent in _AFTER_LEAD_CLAUSE):
                continue
            if not self._plain_comment(head):
                # ("je veux plus rien en position, achète 2 ES": the mood contradicts the order)
                return None
            if self._frames.names_other_market(head, again.slots.get("symbol")):
                return None  # ("CL, buy 2 ES": which market was meant?)
            if again.slots.get("scope") == "all" and self._frames.names_a_market(head):
                return None  # ("get rid of my ES bags, go flat": that market's close, or all?)
            return self._restated(refused, again)
        return None

    def _plain_comment(self, head: str) -> bool:
        """What `_commentary` asks of the words before a command: no time, stop, target or
        condition, no mood clause first, a comment only (`FrameMatcher.plain_commentary`)."""
        assert self._restater is not None and self._frames is not None
        said = head.split()
        told = self._restater.told(said)  # (a long story: its past times and joins are its own)
        return not ((self._extras is not None and self._extras.says_extra(told if told is not None else said))
                    or (self._edges is not None and self._edges.says_a_value(head))
                    or self._prices.names_a_price(said)  # (a price said beside the order: maybe its limit)
                    or self._frames.says_modal(said)  # "I should, …": advice, never a comment (session 16)
                    or self._restater.preambles.at(said, 0)
                    or not self._frames.plain_commentary(head if told is None else " ".join(told),
                                                         story=told is not None))

    def _aside(self, refused: ParseResult, said: list[str], lang: str, prefer: str | None) -> ParseResult | None:
        """"coupe tout, je pars déjeuner", "vends 2 ES parce que le CPI sort bientôt": a whole command
        said first, then a reason or an aside that commits to nothing (`Restater.aside_splits`,
        `FrameMatcher.plain_aside`; never a time, a stop, a target or a condition). A split whose
        command is understood and whose aside says more is passed over for a longer command (which
        the parser judges whole: "ferme l'ES, le MNQ aussi" is no close), never read without the
        aside. An action is never read so from a question. With no mark at all ("ferme tout je vais
        manger", `Restater.word_splits`), only an action is read so, and an aside that names a time or a
        day of something else ("la Fed parle à 20 h", `Restater.said_of_something_else`) commits to
        nothing either; a negation said of something impersonal after a way out is a feeling ("ferme les
        ES parce que ça sent pas bon")."""
        assert self._restater is not None
        if self._frames is None:
            return None
        splits = [(head, tail, False) for head, tail in self._restater.aside_splits(refused.text)]
        marks = len(splits)
        if _WORD_SPLITS.get() and len(said) > 3:
            # No mark at all between the command and the aside (speech has none): every word boundary after
            # the last side or market said (`FrameMatcher.command_end`), or (no command word said: a question)
            # before the speaker's own clause only.
            end = self._frames.command_end(said)
            marked = {normalize(head) for head, _, _ in splits}
            splits += [split for split in self._restater.word_splits(said) if split[0] not in marked and (
                len(split[0].split()) >= end if end is not None else self._restater.speakers.at(split[1].split(), 0))]
        for n, (head, tail, object_like) in enumerate(splits):
            if self._restater.joins_an_object(tail.split(), self._frames.known_words):
                continue  # ("buy 2 ES and some apples": something else joined to the command, not said of it)
            aside = self._restater.said_of_something_else(tail.split())
            if n >= marks and not self._plain_aside(aside, feeling=True):
                continue  # (the cheaper test first: most word boundaries leave a value in the aside)
            # (the whole parser: the command may follow a comment of its own; never the classifier's guess;
            # its own words are split at their marks only)
            word_splits = _WORD_SPLITS.set(False)
            try:
                again = self.parse(head, lang, prefer=prefer)
            finally:
                _WORD_SPLITS.reset(word_splits)
            # (with no mark, a question only before the speaker's own clause, its first word no question's:
            # "today's P&L quick | I need to shut the laptop"; never "what | is a futures contract")
            asked = again.intent in self._read_only and (n < marks or (
                bool(self._restater.speakers.at(tail.split(), 0)) and not self._frames.opens_question(head.split())))
            if not (again.matched and again.method not in ("classifier", "learned") and (again.intent in _BEFORE_ASIDE or asked)):
                continue
            if object_like and not _ends_on_value(again):
                continue  # ("on arrête | les frais pour aujourd'hui": the object of the command, maybe)
            if _cuts_a_number(again, tail.split()):
                continue  # ("buy one ES at six | thousand even": the price goes on after the split)
            # ("buy two ES, sorry, just kidding": an action said with a self-correction is read as one, or refused)
            if not asked and ("?" in refused.text or any(self._restater.corrections.at(said, i) for i in range(len(said)))):
                return None
            feeling = again.intent in _AFTER_PREAMBLE and bool(aside) and bool(self._restater.impersonal.at(aside, 0))
            if self._plain_aside(aside, after_question=again.intent if asked else None, feeling=feeling):
                return self._restated(refused, again)
        return None

    def _plain_aside(self, aside: list[str], *, after_question: str | None = None, feeling: bool = False) -> bool:
        """The words after a command say no time, stop, target or condition of it (`OrderExtras`) and
        commit to nothing (`FrameMatcher.plain_aside`)."""
        assert self._frames is not None
        return (self._extras is None or not self._extras.says_extra(aside, of_command=True)) \
            and not self._prices.names_a_price(aside) and self._frames.plain_aside(
            " ".join(aside), after_question=after_question, feeling=feeling)

    def _bare_correction(self, first: ParseResult, second: list[str], lang: str,
                         prefer: str | None) -> ParseResult | None:
        """The first command with one value replaced by the bare value said after the marker: the
        head of the first command followed by the second part ("ferme" + "le MNQ"), the longest
        head that gives the same intent with exactly one kind of value changed (the market or
        "all" of a close, the autopilot's mode, a quantity...). None when no head does, or when
        the second part holds a negation."""
        assert self._restater is not None
        value = self._restater.bare_value(second)
        if value is None:
            return None
        head = first.normalized.split()
        for k in range(len(head) - 1, 0, -1):
            again = self._parse(" ".join(head[:k] + value), lang, prefer)
            if again.matched and again.intent == first.intent and _one_kind_changed(first.slots, again.slots):
                return again
        return None

    def context_answer(self, text: str) -> str | None:
        """"confirm" or "cancel" for a short answer that is one only while a read-back waits ("y",
        "n", "c'est bon": grammar data, `context_yes` / `context_no`), else None. `parse` refuses
        these; the dialogue asks this only with a read-back pending."""
        answer = self._restater.context_answer(text) if self._restater is not None else None
        return answer if answer is not None or "?" in text else self._refused_read_back(text)

    #: Cue categories that say a read-back answer is more than a no: another command, a yes, doubt, a condition.
    _NOT_JUST_NO = ("yes", "yes_typed", "close", "halt", "resume", "reduce_only", "autopilot", "switch_on",
                    "switch_off", "risk", "conditionals", "elsewhen", "unclear", "topic", "weak", "corrections",
                    "answer_instead", "answer_additions", "order_joins")

    def _refused_read_back(self, text: str) -> str | None:
        """"cancel" for an answer to a read-back that holds a no or a cancel word and nothing else that acts ("hell
        no", "nah, second thoughts, cancel", "c'est pas bon, annule", "j'ai mal tapé, annule"), in every loaded
        language. Cancelling sends nothing, so this safe direction needs no more certainty; a no negated ("don't
        cancel", "n'annule pas"), a yes, a value or any other command word leaves the answer unclear."""
        if self._frames is None:
            return None
        norm = normalize(text)
        if self._typos is not None:
            # "ouiii non": read as the words its stretched words spell ("oui non": a yes and a no contradict)
            norm = self._typos.unstretched(norm.split()) or norm
        heard = False
        for comp in self._compiled.values():
            spaced = comp.strip_skip(norm + " ")
            if not spaced.strip():
                return None
            a = self._frames.analysis(comp, spaced, text)
            if a.has(*self._NOT_JUST_NO) or a.sides or a.symbols or a.numbers or a.percents or a.prices \
                    or a.stray_numbers or a.switch_words or a.modes:
                return None
            # a negation said before the no or cancel ("n'annule pas", "don't cancel"), or right after a cancel
            # verb, as spoken French drops its "ne" ("annule pas"; "non, pas ça" still refuses)
            negated = a.last_answer_at in a.negation_ends or (
                a.last_answer == "cancel" and a.last_answer_end + 1 in a.negation_ends)
            if a.has("no", "cancel") and a.last_answer in ("no", "cancel") and not negated \
                    and not self._frames.no_right_after_cancel(a):  # ("annule surtout pas": keep or cancel?)
                heard = True
        return "cancel" if heard else None

    def opens_with_answer(self, text: str) -> bool:
        """True when `text` opens with a yes or a no and says more ("oui plus tard", "yes 3 MNQ"):
        the dialogue asks such a sentence again while a read-back waits, whatever else it parses to
        short of a complete command."""
        return self._frames is not None and self._frames.opens_with_answer(normalize(text))

    def opens_with_yes(self, text: str) -> bool:
        """True when `text` opens with yes-words said before a command, not joined to it ("aye, start trading
        again", "ja set reduce only"; not "yes and resume trading"): out of a read-back a filler, while one waits
        the dialogue asks again before it switches anything the read-back never covered."""
        if self._frames is None:
            return False
        norm = normalize(text)
        return self._frames.after_yes(norm) is not None and not self._frames.after_answer(norm)

    def _is_number(self, word: str) -> bool:
        return word.isdigit() or word in self._number_words

    @staticmethod
    def _restated(said: ParseResult, again: ParseResult) -> ParseResult:
        """The result of the restated sentence, for the sentence as said."""
        return replace(again, text=said.text)

    def _frames_may_try(self, out: FuzzyOutcome) -> bool:
        """Frames may overrule a refusal for want of a match, never one about an unclear slot
        of a command ("buy twenty to ES" stays ambiguous_quantity; the frames then read their
        own side words only when the templates' side list heard none). A question's unclear
        market ("quel régime pour MNQ aujourd'hui") may be re-read: see `_frame`."""
        reason = out.reason or "no_match"
        if reason == "ambiguous_side" and "side" not in out.slots:
            return True  # no side word of the templates at all: "joue la baisse", "bullish"
        if reason == "ambiguous_symbol":
            return True  # "close both ES and MNQ": the frames read every market named as all (see `_frame`)
        if reason == "ambiguous_quantity" and out.intent == "place_trade" and out.slots.get("quantity") is None:
            # Two numbers or none: "achète 2 cts MNQ à 21 010,75 avec 1,5 % de risque" (the other
            # number may be the order's price), "je suis short de combien ?" (a question); see
            # `_frame`. A stray word by the quantity ("buy twenty *to* ES") stays refused, unless that word
            # ends a side phrase of the frames said right before it ("hit the *bid* 4 MNQ": `_side_phrase_quantity`).
            return True
        if reason.startswith("ambiguous_") and self._frames is not None \
                and out.intent in self._frames.topic_intents:
            return True
        if reason == "ambiguous_risk_percent" and not out.slots:
            # "je veux que l'autopilote me demande avant chaque trade" is close to "… risque par trade",
            # but says no figure: the frames may read a switch (only a switch, see `_frame`)
            return True
        return reason in ("no_match", "ambiguous_intent") or reason.startswith("missing_")

    def _frame(self, text: str, per_lang: list[tuple[CompiledLanguage, str]], tokens: list[str],
               prefer: str | None, fuzzy: FuzzyOutcome) -> ParseResult | None:
        assert self._frames is not None
        code, certain = self._pick_language((c.code for c, _ in per_lang), tokens, prefer)
        candidates = sorted(per_lang, key=lambda item: item[0].code != code) if certain else per_lang
        out: FrameOutcome = self._frames.match(candidates, text, chosen_first=certain)
        if out.status == "refuse" and out.reason in (UNCLEAR_ANSWER, HELD_CONTRACTS):
            # Refusals the dialogue answers in their own words, never a different command: a yes or a
            # no with more in it ("ok mets le en route": asked again), contracts already held ("vends
            # mes 3 ES": how to close them or to place a new order; scored sure so the reason is said).
            code = out.language or code
            stripped = next(s for c, s in per_lang if c.code == code)
            return ParseResult(text, stripped[:-1], False, None, {}, {}, code, certain,
                               1.0 if out.reason == HELD_CONTRACTS else 0.0, "frame", [],
                               out.reason, out.detail, nearest=out.intent)
        close_all = out.status == "accept" and out.intent == "close_positions" and out.slots == {"scope": "all"}
        if fuzzy.reason == "ambiguous_quantity" and fuzzy.intent == "place_trade" \
                and (fuzzy.detail or "").startswith("an unexpected word") and fuzzy.slots.get("quantity") is None:
            if not _side_phrase_quantity(out, per_lang):
                return None  # "buy twenty *to* ES": a stray word by the quantity stays refused
        elif fuzzy.reason == "ambiguous_quantity" and fuzzy.intent == "place_trade" and not (
                out.status == "accept" and ((out.intent == "place_trade" and "price" in out.slots)
                                            or (out.intent == "place_trade" and "quantity" not in fuzzy.slot_text
                                                and self._frames.is_article(out.slot_text.get("quantity", "")))
                                            or out.intent in self._frames.topic_intents
                                            or (out.intent == "close_positions" and "side" not in fuzzy.slot_text))):
            # After an order's unclear quantity, only the same order whose other number the frames
            # read as its price ("à 21 010,75" after the market), or a read-only question.
            return None
        if fuzzy.reason == "ambiguous_risk_percent" and not (
                out.status == "accept" and (out.intent in _WITHOUT_FIGURES or (
                    # "max risk 1% per trade": a word by the percentage the template did not place; the frames read
                    # one percentage, no other figure, no relative change (session 16, helper nlu34)
                    out.intent == "set_risk" and fuzzy.intent == "set_risk"
                    and (fuzzy.detail or "").startswith("an unexpected word")))):
            return None
        if fuzzy.reason == "ambiguous_symbol" and not close_all and fuzzy.intent not in self._frames.topic_intents \
                and not (fuzzy.intent == "place_trade" and (fuzzy.detail or "").startswith("an unexpected word")
                         and out.status == "accept" and out.intent == "place_trade"
                         and ("risk_percent" in out.slots or "price" in out.slots)):
            # two markets: only a close naming every market with "all", read as all. A figure by the market the
            # template did not place ("short 2 es 1% risk"), read by the frames as the order's risk or price, is
            # that order (session 16: which template the fuzzy stage picked moved with every word a grammar gained)
            return None
        if (fuzzy.reason or "").startswith("ambiguous_") and fuzzy.intent in self._frames.topic_intents \
                and fuzzy.reason != "ambiguous_side" and not close_all and not (
                    out.status == "accept" and out.intent in self._frames.topic_intents):
            return None  # after an unclear slot, only a read-only answer (or that close)
        if out.status == "accept" or (out.status == "missing" and (fuzzy.reason or "no_match") == "no_match"):
            code = out.language or code
            stripped = next(s for c, s in per_lang if c.code == code)
            if out.intent in _TIMED_ORDERS and self._extras is not None and self._extras.says_extra(stripped.split()):
                # The frames read an order's words and pass over the rest: "achète 1 ES en fin de
                # séance" must not become an order now (refused later, with the reason said).
                return None
            matched = out.status == "accept"
            return ParseResult(text, stripped[:-1], matched, out.intent, dict(out.slots), dict(out.slot_text),
                               code, certain, 1.0 if matched else 0.0, "frame", [],
                               None if matched else out.reason, None if matched else out.detail,
                               out.missing, out.typed_only, None if matched else out.intent)
        return None


    # ------------------------------------------------------------------ learned last resort
    def _build_classifier(self, option: bool | ClassifierOptions) -> ReadOnlyClassifier | None:
        """The classifier stage (assistant/nlu/classifier.py) when asked for and the grammar has
        read-only intents and frames (whose detectors gate it). Like the frames, it is a later
        link of the fuzzy chain: off when fuzzy matching is (exact templates only)."""
        if option is False or self._frames is None or not self.fuzzy_enabled:
            return None
        options = option if isinstance(option, ClassifierOptions) else ClassifierOptions()
        stage = ReadOnlyClassifier(self.grammar, self._compiled, self._frames,
                                   [name for name in self.intents() if "symbol" in self.slot_names(name)], options)
        return stage if stage.targets and stage.model is not None else None

    def _build_command_reader(self, option: bool | CommandReaderOptions) -> CommandReader | None:
        """The learned reader of orders and closes (assistant/nlu/command_reader.py), under the same
        conditions as the classifier (frames on, fuzzy matching on)."""
        if option is False or self._frames is None or not self.fuzzy_enabled:
            return None
        options = option if isinstance(option, CommandReaderOptions) else CommandReaderOptions()
        stage = CommandReader(self.grammar, self._compiled, self._frames, options)
        return stage if stage.model is not None else None

    def _read_command(self, refused: ParseResult) -> ParseResult:
        """An order or a close every earlier stage refused for want of a match or an unclear value, as the
        learned reader reads it (always read back before anything is sent); the refusal stands otherwise."""
        guess = self._commands.read(refused.text, refused.language or self.default_language) \
            if self._commands is not None else None
        if guess is None or guess.intent is None:
            return refused
        tokens = (refused.normalized or normalize(refused.text)).split()
        if self._typos is not None and guess.intent == "place_trade" and self._typos.opens_with_homophone(tokens):
            return refused  # "by 2 ES short": buy? short?
        if self._frames is not None and guess.intent == "close_positions" and self._frames.side_bound_close(tokens):
            return refused  # "buy back my ES": a close, or an order?
        score = round(guess.probability, 4)
        if guess.missing:
            return replace(refused, intent=guess.intent, slots=dict(guess.slots), slot_text=dict(guess.slot_text),
                           reason="missing_" + guess.missing[0], missing=guess.missing, score=score, method="learned",
                           detail="an incomplete command read by the learned reader", nearest=guess.intent)
        return ParseResult(refused.text, refused.normalized, True, guess.intent, dict(guess.slots),
                           dict(guess.slot_text), refused.language, refused.language_certain, score, "learned")

    def _market_misplaced(self, refused: ParseResult) -> bool:
        """Round 31c: a read-only question whose market the templates found where none of theirs says it
        ("combien de micros j'ai en cours": `ambiguous_symbol` on the positions); the classifier may read it,
        only as that same question (`_classify`)."""
        return refused.reason == "ambiguous_symbol" and refused.intent in READ_ONLY_INTENTS

    def _classify(self, refused: ParseResult) -> ParseResult:
        guess = self._classifier.classify(refused.text, refused.language or self.default_language) \
            if self._classifier is not None else None
        if guess is None or guess.intent is None:
            return refused
        if self._market_misplaced(refused) and guess.intent != refused.intent:
            return refused  # the templates' question and the model's must agree
        return ParseResult(refused.text, refused.normalized, True, guess.intent, dict(guess.slots),
                           dict(guess.slot_text), refused.language, refused.language_certain,
                           round(guess.probability, 4), "classifier",
                           [item for item in guess.ranking[1:] if item[0] != guess.intent])


#: Refusals the slot-filling reader may overrule: nothing matched, or the side, quantity or market
#: was unclear to the templates ("qté 10 MNQ", "2x ES long"). A stray word by a number ("buy twenty
#: *to* ES") is no word of the reader's: it still refuses.
def _side_phrase_quantity(out: FrameOutcome, per_lang: list[tuple[CompiledLanguage, str]]) -> bool:
    """An order the frames read whose side is a phrase of several words said right before its quantity ("lift the
    offer, 2 ES", "hit the bid 4 MNQ", "prends l'offre, 2 ES"), its market right after it: the word the fuzzy stage
    found by the quantity is the phrase's own (session 16, helper nlu34)."""
    if out.status != "accept" or out.intent != "place_trade":
        return False
    side, quantity, symbol = (out.slot_text.get(k, "") for k in ("side", "quantity", "symbol"))
    if len(side.split()) < 2 or not quantity or not symbol or "price" in out.slots or "risk_percent" in out.slots:
        return False
    code = out.language or (per_lang[0][0].code if per_lang else None)
    stripped = next((s for c, s in per_lang if c.code == code), None)
    if stripped is None:
        return False
    return f" {side} {quantity} {symbol} " in f" {stripped} "  # nothing between them ("… two *to* ES": refused)


_SLOT_READABLE = frozenset({"no_match", "ambiguous_intent", "ambiguous_side", "ambiguous_quantity",
                            "ambiguous_symbol"})

#: Actions a "?" said last turns into a question unless they are requested ("buy 2 ES?": should I?), and
#: the switches that let MIA trade ("mode auto ?", "autopilot on?", "resume?": is it? never switched); the
#: protective ones (a halt, reduce-only) stay read back, as "stop" alone is.
_ASKABLE_ACTIONS = frozenset({"place_trade", "close_positions", "autopilot_mode", "resume"})

#: Intents whose keywords a typo may be corrected to: a close, a halt (the safe switch). Never an
#: answer ("yse"), a resume ("star trading" is no "start trading") or a mode switch.
_TYPO_ACTIONS = ("close_positions", "halt")

#: Intents a typo-corrected sentence may never give: they re-enable or hand over trading, or say yes.
_NO_TYPO_INTENTS = frozenset({"resume", "confirm", "autopilot_mode", "reduce_only"})

#: Commands whose one value a bare correction may replace ("…enfin non, juste le MNQ"). An order's
#: bare number stays with the self-corrections (`Restater.correction`): "buy 2 ES at 5000, no, 3"
#: (the quantity or the price?) is refused there.
_BARE_CORRECTABLE = frozenset({"close_positions", "autopilot_mode"})
#: Commands that may follow a verb cut off alone ("débloque… pardon, déboucle tout"): a close or
#: an order, whose read-back says what will be done. Never a switch or an answer.
_RESTARTABLE = frozenset({"close_positions", "place_trade"})
#: Slots that are one kind of value: a close names a market OR "all".
_SLOT_KINDS = {"scope": "symbol"}


def _without_lead(comp: CompiledLanguage, spaced: str) -> str:
    """`spaced` without its leading discourse words ("ok", "yeah", "yo": the language's lead words)."""
    return spaced[len(comp.lead(spaced)):]


def _keeps_shape(again: ParseResult, shaped: Reshaped) -> bool:
    """The plain reading of an order said in a trader's shape keeps what the shape said: an order, with the price
    and the quantity said, and the side a bound on its price belongs to (`OrderShapes.reshaped`)."""
    slots = again.slots
    return again.matched and again.intent == "place_trade" \
        and (shaped.price is None or slots.get("price") == shaped.price) \
        and (shaped.quantity is None or normalize(str(again.slot_text.get("quantity", ""))) == shaped.quantity) \
        and (shaped.side is None or slots.get("side") == shaped.side)


def _up_to_last(items: list[_T], test: Callable[[_T], bool]) -> list[_T]:
    """`items` up to the last one that passes `test` (tested from the end), none when none does."""
    for end in range(len(items), 0, -1):
        if test(items[end - 1]):
            return items[:end]
    return []


def _ends_on_value(command: ParseResult, *, numeric: bool = False) -> bool:
    """The command's last word is one of its values ("sell one *ES*", "ferme *tout*"); with `numeric`,
    one of its number values ("at *six*")."""
    words = command.normalized.split()
    return bool(words) and any(normalize(text).split()[-1:] == words[-1:] for name, text in command.slot_text.items()
                               if not numeric or isinstance(command.slots.get(name), (int, float)))


def _cuts_a_number(command: ParseResult, rest: list[str]) -> bool:
    """The command ends on a number value and the words after it go on with that number ("at six |
    thousand even", "à six | mille pile", "2 | and a half"): the split would cut the value short."""
    if not rest or not _ends_on_value(command, numeric=True):
        return False
    numbers = number_language(command.language or "en")
    first = normalize(rest[0])
    if first and (first[0].isdigit() or (first in numbers.words and first not in _NOT_NUMBER_STARTS)):
        return True
    return first in _NUMBER_JOINS and len(rest) > 1 and normalize(rest[1]) in numbers.words


#: Number words that also start plain asides ("a", "of"); joins that go on with a number only when a
#: number word follows ("and a half", "et demi").
_NOT_NUMBER_STARTS = frozenset({"a", "of", "and", "et"})
_NUMBER_JOINS = frozenset({"and", "et"})


def _one_kind_changed(before: dict[str, object], after: dict[str, object]) -> bool:
    """Exactly one kind of value differs between two readings of a command, and nothing else."""
    changed = {_SLOT_KINDS.get(name, name) for name in set(before) | set(after) if before.get(name) != after.get(name)}
    return len(changed) == 1


#: Commands an order extra (a time, a condition; a stop or a target for an order) is looked for in once
#: understood (`Parser._unhonoured`): orders, closes and the switches that let MIA trade more ("resume
#: trading at the open", "l'autopilote en auto ce matin" are never flipped now). A halt or reduce-only said
#: with a time is left to the stages (stopping now is never the dangerous way).
_EXTRA_CHECKED = frozenset({"place_trade", "close_positions", "resume", "autopilot_mode", "set_risk"})

#: Commands refused when said inside a sentence that does not give them (`Parser._not_given`).
_NOT_GIVEN_CHECKED = _EXTRA_CHECKED | {"halt", "reduce_only"}
#: …and when said as a rule for the future (`NotGiven.standing`): a switch or the risk is one already.
_STANDING_CHECKED = frozenset({"place_trade", "close_positions"})
#: …and a repeat asking for an order again (`NotGiven.order_again`).
_NOT_GIVEN_INTENTS = _NOT_GIVEN_CHECKED | {"repeat"}

#: Why an order carrying more than MIA can do is refused (ParseResult.detail; the dialogue says it).
_UNSUPPORTED_DETAIL = {
    "stop": "an order with a stop-loss: MIA places market or limit orders only",
    "target": "an order with a take-profit: MIA places market or limit orders only",
    "time": "an order for a later time: MIA places orders now only",
    "condition": "a conditional order: MIA places orders now, unconditionally",
    "order_type": "an order type or execution instruction MIA does not have: it places plain market or limit orders",
    "object": "a chart or a window named, not a position: MIA closes positions only",
    "indirect": "an order talked about, not given (to avoid, plan, be reminded of): MIA acts on plain commands only",
    "two_orders": "two commands in one sentence: one at a time",
}

#: The refusal (reason, detail) of an order that states two incompatible things (`OrderExtras.contradiction`).
_CONTRADICTION = {
    "price": ("ambiguous_order_type", "a market order with a price or a limit: which one?"),
    "side": ("ambiguous_side", "two sides said: buy or sell?"),
}

#: The refusal of a value read across a punctuation mark ("buy three micros, NQ"), by slot (`Restater.cut_by_mark`;
#: a side's label is no value of its own: "sens : vente").
_CUT_REASONS = {"symbol": "ambiguous_symbol", "quantity": "ambiguous_quantity", "price": "ambiguous_price"}

#: What a mood clause said first ("je veux plus rien en position, …", "we're done for the day, …")
#: may announce: a way out, never an order or a switch back on.
_AFTER_PREAMBLE = frozenset({"close_positions", "halt"})

#: What a no then a command said "instead" may be (`Parser._no_instead`): a way out, or a whole new order (session
#: 16 decision, held-out 15 and 16 writers: "non, vends plutôt 2 ES" replaces the order read back and is read back
#: in turn; an order missing a slot, "no, buy micros instead", stays refused).
_INSTEAD = frozenset({"close_positions", "halt", "reduce_only", "place_trade"})

#: What a yes said first never opens as a filler: an answer, a bare value, a mode switch (a sentence about the
#: autopilot is no yes to a read-back, and no switch after one: frames corpora, heldout-3 review).
_NOT_AFTER_YES = frozenset({"confirm", "cancel", "followup_answer", "autopilot_mode"})

#: Refusals a yes said first may explain ("ja close everything": the fuzzy stage found no template for the yes).
_YES_FILLED = frozenset({UNCLEAR_ANSWER, "no_match", "ambiguous_intent"})

#: What may follow a yes said first ("ok buy 2 ES là") or a comment on the market ("bears are in
#: control imo, sell 5 MNQ"): a command read back, never an answer or a switch.
_AFTER_LEAD_CLAUSE = frozenset({"place_trade", "close_positions", "halt"})

#: Orders the frames never read when the sentence also says a time, a stop, a target or a condition.
_TIMED_ORDERS = frozenset({"place_trade", "close_positions"})

#: Commands that may be said before an aside ("coupe tout, je pars déjeuner"): every action read
#: back or switched on its own words (read-only questions may be too), never an answer.
_BEFORE_ASIDE = frozenset({"place_trade", "close_positions", "halt", "resume", "set_risk", "reduce_only",
                           "autopilot_mode"})

#: What the frames may read after the templates heard a risk per trade without its figure ("je veux que
#: l'autopilote me demande avant *chaque trade*"): a switch that says no figure (never a question:
#: "prends tes bénéfices" is no P&L asked).
_WITHOUT_FIGURES = frozenset({"autopilot_mode", "reduce_only", "halt", "resume"})
#: False while the command of an aside said with no mark is parsed (`Parser._aside`): its own words are
#: split at their marks only, never again at every word.
_WORD_SPLITS: ContextVar[bool] = ContextVar("mia_aside_word_splits", default=True)

#: Refusals of an order or a close that may be for a market MIA does not trade ("buy 2 CL": no market
#: of ours heard, or none said): then said so (`unsupported_market`), never asked "ES or MNQ?".
_OTHER_MARKET_REASONS = frozenset({"no_match", "ambiguous_symbol", "missing_symbol", "ambiguous_intent"})
#: Refusals the classifier may overrule: nothing came close, or two intents tied. Never one
#: about an unclear slot (two markets, no clear side, a missing quantity...).
_CLASSIFIABLE = frozenset({"no_match", "ambiguous_intent"})
#: Refusals the learned command reader may overrule: nothing matched, a value or the intent was unclear to
#: the earlier stages, or an answer word was heard beside a command ("ja take 1 micro").
_LEARNABLE = frozenset({"no_match", "ambiguous_side", "ambiguous_symbol", "ambiguous_intent", "ambiguous_quantity",
                        UNCLEAR_ANSWER})
#: A risk setting's value not said or unclear: vetoed as a question when asked ("quel est mon risque sur ES ?").
_RISK_VALUE_UNCLEAR = frozenset({"missing_risk_percent", "ambiguous_risk_percent"})
#: Refusals a sentence with the same words said twice in a row may get ("buy two ES two ES": two
#: quantities, two markets), read again with them said once (`Restater.without_repeated_run`).
_REPEATABLE = frozenset({"no_match", "ambiguous_quantity", "ambiguous_symbol", "ambiguous_side",
                         "ambiguous_intent"})


def default_parser() -> Parser:
    """Parser over the project grammars (convenience for scripts and the CLI)."""
    return Parser.from_paths(None)

