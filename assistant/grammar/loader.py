"""Read grammar files (YAML) from any path into a validated `Grammar`.

A *language file* has a `language:` key and may define `intents`, `lists`, `rules` and
`skip_words`. A *shared file* has no `language:` key and defines `lists` (and `rules`) used by
every language loaded with it. Several files of the same language are merged, which is how a
user adds phrasings without editing the project's files. See grammars/README.md.

Every problem is reported as a `GrammarError` naming the file, the line and the element
(intent, sentence, list) at fault.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from assistant.grammar.expand import guaranteed_slot_refs, possible_slot_refs, rule_refs, shortest_expansion
from assistant.grammar.model import (
    Grammar, GrammarError, IntentDef, LanguageGrammar, Origin, RangeList, SlotList, Template,
    TextList, TextValue,
)
from assistant.grammar.template import Expr, TemplateSyntaxError, parse_template

__all__ = ["load_grammar", "default_grammar_dir", "GrammarPaths"]

GrammarPaths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None

_LANGUAGE_KEYS = {"language", "intents", "lists", "rules", "skip_words", "negations", "lead_words",
                  "pronunciations", "frames"}
# ARPAbet phones as written in CMUdict; stress digits (AH0, EY1) are accepted and dropped.
_PHONE = re.compile(r"^([A-Z]{1,3})[0-2]?$")
_PRON_WORD = re.compile(r"^[a-z][a-z'\-]*$")
_SHARED_KEYS = {"lists", "rules"}
_INTENT_KEYS = {"sentences", "slots", "data", "required", "keywords", "replies"}
_DATA_KEYS = {"sentences", "slots", "missing", "typed_only", "speech"}
_LIST_KEYS = {"values", "range", "slot"}
_RANGE_KEYS = {"type", "from", "to", "step"}
_RANGE_TYPES = ("integer", "decimal", "percent")


def default_grammar_dir() -> Path:
    """The project's grammars: $MIA_GRAMMAR_DIR, else `grammars/` at the repository root."""
    env = os.environ.get("MIA_GRAMMAR_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "grammars"


class _Doc:
    """One YAML file as a node tree, with helpers that raise located errors."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise GrammarError(Origin(self.path), "", "file not found") from None
        except UnicodeDecodeError as exc:
            raise GrammarError(Origin(self.path), "", f"not UTF-8 text ({exc.reason})") from None
        except OSError as exc:
            raise GrammarError(Origin(self.path), "", f"cannot read file: {exc.strerror}") from None
        try:
            # (libyaml's parser when PyYAML has it: the same nodes and marks, a few times faster than Python's)
            self.root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 0
            problem = getattr(exc, "problem", None) or str(exc)
            raise GrammarError(Origin(self.path, line), "", f"invalid YAML: {problem}") from None
        self._constructor = yaml.SafeLoader("")

    def origin(self, node: yaml.Node) -> Origin:
        return Origin(self.path, node.start_mark.line + 1)

    def error(self, node: yaml.Node, where: str, problem: str) -> GrammarError:
        return GrammarError(self.origin(node), where, problem)

    def mapping(self, node: yaml.Node, where: str, allowed: set[str] | None = None) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, where, f"expected a mapping (key: value), got {_kind(node)}")
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, where)
            if not isinstance(key, str):
                key = str(key)
            if allowed is not None and key not in allowed:
                raise self.error(key_node, where,
                                 f"unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})")
            if key in out:
                raise self.error(key_node, where, f"duplicate key '{key}'")
            out[key] = value_node
        return out

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, where, f"expected a list, got {_kind(node)}")
        return list(node.value)

    def scalar(self, node: yaml.Node, where: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, where, f"expected a single value, got {_kind(node)}")
        return self._constructor.construct_object(node)

    def string(self, node: yaml.Node, where: str) -> str:
        value = self.scalar(node, where)
        if isinstance(value, bool) or value is None:
            raise self.error(node, where, f"expected text, got {value!r} "
                             "(quote words such as yes/no/on/off/null in YAML)")
        return str(value)

    def strings(self, node: yaml.Node, where: str) -> list[tuple[str, yaml.Node]]:
        """A string or a list of strings."""
        if isinstance(node, yaml.SequenceNode):
            return [(self.string(n, where), n) for n in node.value]
        return [(self.string(node, where), node)]


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"'{node.value}'" if node.value != "" else "nothing"


class _LanguageParts:
    def __init__(self, language: str) -> None:
        self.language = language
        self.lists: dict[str, SlotList] = {}
        self.rules: dict[str, tuple[Expr, Origin, str]] = {}
        self.intents: dict[str, IntentDef] = {}
        self.skip_words: list[str] = []
        self.negations: list[str] = []
        self.pronunciations: dict[str, tuple[str, ...]] = {}
        self.lead_words: list[str] = []
        self.sources: list[str] = []
        self.frames: dict[str, Any] = {}


def _cue_phrases(doc: _Doc, node: yaml.Node, where: str) -> list[str]:
    """Cue phrases of a `frames:` entry, as written: YAML's yes/no/on/off stay words here."""
    nodes = doc.sequence(node, where) if isinstance(node, yaml.SequenceNode) else [node]
    out: list[str] = []
    for item in nodes:
        if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
            raise doc.error(item, where, f"expected a cue phrase, got {_kind(item)}")
        out.append(str(item.value))
    return out


def _raw_mapping(doc: _Doc, node: yaml.Node, where: str) -> list[tuple[str, yaml.Node]]:
    """Keys as written (a `frames:` key such as `yes:` or `no:` is a word, not a boolean)."""
    if not isinstance(node, yaml.MappingNode):
        raise doc.error(node, where, f"expected a mapping (key: value), got {_kind(node)}")
    return [(str(k.value), v) for k, v in node.value]


def _parse_frames(doc: _Doc, node: yaml.Node, frames: dict[str, Any]) -> None:
    """Merge a `frames:` section (see grammars/README.md) into `frames`: lists add up,
    `topics`, `weak_topics`, `sides`, `period_topics`, `autopilot_modes`, `chat_sides`,
    `chat_limit`, `market_lookalikes`, `market_lookalikes_next`, `answer_objects`, `order_extras`, `index_markets`, `contractions`,
    `question_particles`, `answer_emoji`, `percent_sizes`, `side_homophones`, `command_cues` and `spoken_marks` merge per intent /
    side / mode / word / kind / market / full form / opener / particle / answer / side word / mark."""
    for key, value in _raw_mapping(doc, node, "frames"):
        if key in ("topics", "weak_topics", "sides", "period_topics", "autopilot_modes", "chat_sides", "chat_limit",
                   "market_lookalikes", "market_lookalikes_next", "answer_objects", "order_extras", "index_markets", "contractions",
                   "question_particles", "answer_emoji", "percent_sizes", "side_homophones", "command_cues",
                   "spoken_marks"):
            target = frames.setdefault(key, {})
            for name, cues in _raw_mapping(doc, value, f"frames {key}"):
                target.setdefault(name, []).extend(_cue_phrases(doc, cues, f"frames {key}.{name}"))
        else:
            frames.setdefault(key, []).extend(_cue_phrases(doc, value, f"frames {key}"))


def _collect_files(paths: GrammarPaths) -> list[Path]:
    if paths is None:
        paths = [default_grammar_dir()]
    elif isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                raise GrammarError(Origin(str(path)), "", "directory holds no .yaml grammar file")
            files.extend(found)
        else:
            files.append(path)
    if not files:
        raise GrammarError(Origin("<no paths>"), "", "no grammar file given")
    return files


def _parse_list(doc: _Doc, name: str, node: yaml.Node) -> SlotList:
    where = f"list '{name}'"
    body = doc.mapping(node, where, _LIST_KEYS)
    slot = doc.string(body["slot"], where) if "slot" in body else None
    if ("values" in body) == ("range" in body):
        raise doc.error(node, where, "a list needs exactly one of 'values' or 'range'")
    if "range" in body:
        rng = doc.mapping(body["range"], where + " range", _RANGE_KEYS)
        kind = doc.string(rng["type"], where) if "type" in rng else "integer"
        if kind not in _RANGE_TYPES:
            raise doc.error(rng.get("type", node), where,
                            f"range type '{kind}' unknown (use {', '.join(_RANGE_TYPES)})")
        bounds = []
        for key in ("from", "to"):
            if key not in rng:
                raise doc.error(body["range"], where, f"range needs '{key}'")
            value = doc.scalar(rng[key], where)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise doc.error(rng[key], where, f"range '{key}' must be a number, got {value!r}")
            bounds.append(float(value))
        if bounds[0] > bounds[1]:
            raise doc.error(body["range"], where, f"range 'from' ({bounds[0]:g}) is above 'to' ({bounds[1]:g})")
        step: float | None = None
        if "step" in rng:
            raw = doc.scalar(rng["step"], where)
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0:
                raise doc.error(rng["step"], where, f"range 'step' must be a positive number, got {raw!r}")
            if kind == "integer" and not float(raw).is_integer():
                raise doc.error(rng["step"], where, f"an integer range needs a whole 'step', got {raw!r}")
            step = float(raw)
        return RangeList(name, kind, bounds[0], bounds[1], slot, doc.origin(node), step)  # type: ignore[arg-type]
    values: list[TextValue] = []
    for item in doc.sequence(body["values"], where):
        origin = doc.origin(item)
        if isinstance(item, yaml.ScalarNode):
            text = doc.string(item, where)
            values.append(TextValue((text,), text, origin))
            continue
        entry = doc.mapping(item, where, {"in", "out"})
        if "in" not in entry:
            raise doc.error(item, where, "a value needs 'in' (what is said)")
        forms = tuple(text for text, _ in doc.strings(entry["in"], where))
        if not forms or any(not f.strip() for f in forms):
            raise doc.error(entry["in"], where, "empty spoken form")
        out = doc.scalar(entry["out"], where) if "out" in entry else forms[0]
        values.append(TextValue(forms, out, origin))
    if not values:
        raise doc.error(node, where, "list has no values")
    return TextList(name, values, slot, doc.origin(node))


def _parse_pronunciations(doc: _Doc, node: yaml.Node, target: dict[str, tuple[str, ...]]) -> None:
    """`word: PHONES` or `word: [PHONES, PHONES]` (alternatives); merged over files, no duplicates."""
    for word, value in doc.mapping(node, "pronunciations").items():
        where = f"pronunciation of '{word}'"
        if not _PRON_WORD.match(word):
            raise doc.error(value, where, "the word must be lower case letters (as the grammar says it: 'cvar', 'qr')")
        prons: list[str] = []
        for text, item in doc.strings(value, where):
            phones = text.split()
            if not phones:
                raise doc.error(item, where, "empty pronunciation")
            bad = [ph for ph in phones if not _PHONE.match(ph)]
            if bad:
                raise doc.error(item, where, f"not ARPAbet phones: {', '.join(bad)} (upper case, e.g. 'S IY V AA R')")
            prons.append(" ".join(_PHONE.match(ph).group(1) for ph in phones))  # type: ignore[union-attr]
        target[word] = tuple(dict.fromkeys(target.get(word, ()) + tuple(prons)))


def _merge_list(target: dict[str, SlotList], new: SlotList) -> None:
    old = target.get(new.name)
    if isinstance(old, TextList) and isinstance(new, TextList):
        # A language file extends a shared list (e.g. adds "achète" to `side`).
        target[new.name] = TextList(new.name, old.values + new.values, new.slot or old.slot, old.origin)
    else:
        target[new.name] = new


def _parse_template(doc: _Doc, node: yaml.Node, where: str) -> tuple[str, Expr]:
    text = doc.string(node, where)
    try:
        return text, parse_template(text)
    except TemplateSyntaxError as exc:
        raise doc.error(node, where, f"{exc.problem} (column {exc.column} of \"{text}\")") from None


def _parse_sentences(doc: _Doc, intent: str, node: yaml.Node, fixed: dict[str, Any],
                     where: str, out: list[Template], missing: tuple[str, ...] = (),
                     typed_only: bool = False, speech: bool = True) -> None:
    items = doc.sequence(node, where + " sentences")
    if not items:
        raise doc.error(node, where, "'sentences' is empty")
    for i, item in enumerate(items, 1):
        text, expr = _parse_template(doc, item, f"{where}, sentence {i}")
        out.append(Template(text, expr, intent, fixed, doc.origin(item), missing, typed_only, speech))


def _parse_fixed(doc: _Doc, node: yaml.Node | None, where: str) -> dict[str, Any]:
    if node is None:
        return {}
    return {k: doc.scalar(v, where + f" slot '{k}'") for k, v in doc.mapping(node, where + " slots").items()}


def _parse_intent(doc: _Doc, name: str, node: yaml.Node) -> IntentDef:
    where = f"intent '{name}'"
    if isinstance(node, yaml.SequenceNode):
        # Short form: the intent is just a list of sentences.
        body: dict[str, yaml.Node] = {"sentences": node}
    else:
        body = doc.mapping(node, where, _INTENT_KEYS)
    templates: list[Template] = []
    if "sentences" in body:
        _parse_sentences(doc, name, body["sentences"], _parse_fixed(doc, body.get("slots"), where),
                         where, templates)
    elif "slots" in body:
        raise doc.error(body["slots"], where, "'slots' without 'sentences'")
    if "data" in body:
        for j, block in enumerate(doc.sequence(body["data"], where + " data"), 1):
            bwhere = f"{where}, data block {j}"
            bbody = doc.mapping(block, bwhere, _DATA_KEYS)
            if "sentences" not in bbody:
                raise doc.error(block, bwhere, "a data block needs 'sentences'")
            missing = tuple(s for s, _ in doc.strings(bbody["missing"], bwhere)) if "missing" in bbody else ()
            if "missing" in bbody and not missing:
                raise doc.error(bbody["missing"], bwhere, "'missing' names no slot")
            flags = {}
            for flag, default in (("typed_only", False), ("speech", True)):
                flags[flag] = default
                if flag in bbody:
                    flags[flag] = doc.scalar(bbody[flag], bwhere)
                    if not isinstance(flags[flag], bool):
                        raise doc.error(bbody[flag], bwhere, f"'{flag}' must be true or false, got {flags[flag]!r}")
            _parse_sentences(doc, name, bbody["sentences"], _parse_fixed(doc, bbody.get("slots"), bwhere),
                             bwhere, templates, missing, flags["typed_only"], flags["speech"])
    if not templates:
        raise doc.error(node, where, "intent has no sentences")
    required = tuple(s for s, _ in doc.strings(body["required"], where)) if "required" in body else ()
    keywords = tuple(s for s, _ in doc.strings(body["keywords"], where)) if "keywords" in body else ()
    replies = tuple(s for s, _ in doc.strings(body["replies"], where)) if "replies" in body else ()
    return IntentDef(name, templates, required, keywords, doc.origin(node), replies)


def _parse_rules(doc: _Doc, node: yaml.Node, target: dict[str, tuple[Expr, Origin, str]]) -> None:
    for rname, rnode in doc.mapping(node, "rules").items():
        text, expr = _parse_template(doc, rnode, f"rule '{rname}'")
        target[rname] = (expr, doc.origin(rnode), text)


def _check_language(parts: _LanguageParts, warnings: list[str]) -> LanguageGrammar:
    rules = {name: expr for name, (expr, _, _) in parts.rules.items()}

    # Rules: every reference exists and no rule includes itself.
    def check_refs(expr: Expr, origin: Origin, where: str) -> None:
        for ref in rule_refs(expr):
            if ref not in rules:
                known = ", ".join(sorted(rules)) or "none defined"
                raise GrammarError(origin, where, f"unknown rule '<{ref}>' (rules: {known})")

    for rname, (expr, origin, _) in parts.rules.items():
        check_refs(expr, origin, f"rule '{rname}'")
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(rname: str, chain: list[str]) -> None:
        if rname in done:
            return
        if rname in visiting:
            cycle = " -> ".join(chain + [rname])
            raise GrammarError(parts.rules[rname][1], f"rule '{rname}'", f"rule includes itself ({cycle})")
        visiting.add(rname)
        for ref in rule_refs(rules[rname]):
            visit(ref, chain + [rname])
        visiting.discard(rname)
        done.add(rname)

    for rname in rules:
        visit(rname, [])

    # Lists: one spoken form never means two different values.
    for lst in parts.lists.values():
        if isinstance(lst, TextList):
            seen: dict[str, Any] = {}
            for val in lst.values:
                for form in val.forms:
                    key = " ".join(form.lower().split())
                    if key in seen and seen[key] != val.value:
                        raise GrammarError(val.origin, f"list '{lst.name}'",
                                           f"'{form}' already means {seen[key]!r}, cannot also mean {val.value!r}")
                    seen[key] = val.value

    lang = LanguageGrammar(parts.language, parts.lists, rules, parts.intents,
                           tuple(parts.skip_words), tuple(parts.negations), parts.sources,
                           pronunciations=dict(parts.pronunciations),
                           lead_words=tuple(parts.lead_words), frames=parts.frames)

    # Intents: slots refer to lists that exist; required slots appear in every sentence.
    for intent in parts.intents.values():
        for k, tpl in enumerate(intent.templates, 1):
            where = f"intent '{intent.name}', sentence \"{tpl.text}\""
            check_refs(tpl.expr, tpl.origin, where)
            for ref in possible_slot_refs(tpl.expr, rules):
                if ref.list_name not in parts.lists:
                    known = ", ".join(sorted(parts.lists)) or "none defined"
                    raise GrammarError(tpl.origin, where, f"unknown list '{{{ref.list_name}}}' (lists: {known})")
            if not shortest_expansion(tpl.expr, rules):
                raise GrammarError(tpl.origin, where, "every part of this sentence is optional: "
                                   "it would match an empty sentence (make one part required)")
            present = {lang.slot_name(r.list_name, r.slot_name) for r in guaranteed_slot_refs(tpl.expr, rules)}
            present |= set(tpl.fixed_slots)
            if tpl.missing:
                # An incomplete sentence may not hold what it says it lacks.
                possible = {lang.slot_name(r.list_name, r.slot_name) for r in possible_slot_refs(tpl.expr, rules)}
                possible |= set(tpl.fixed_slots)
                for slot in tpl.missing:
                    if slot in possible:
                        raise GrammarError(tpl.origin, where,
                                           f"slot '{slot}' is listed as missing but this sentence can say it")
            for slot in intent.required:
                if slot not in present and slot not in tpl.missing:
                    raise GrammarError(tpl.origin, where,
                                       f"required slot '{slot}' is not in every form of this sentence")
        if not intent.templates:
            warnings.append(f"{intent.origin}: intent '{intent.name}' has no sentences")
    return lang


def load_grammar(paths: GrammarPaths = None) -> Grammar:
    """Load grammar files (or directories of `.yaml` files); None means the project grammars."""
    files = _collect_files(paths)
    shared_lists: dict[str, SlotList] = {}
    shared_rules: dict[str, tuple[Expr, Origin, str]] = {}
    languages: dict[str, _LanguageParts] = {}
    language_docs: list[tuple[_Doc, dict[str, yaml.Node]]] = []
    warnings: list[str] = []

    for path in files:
        doc = _Doc(path)
        if doc.root is None:
            raise GrammarError(Origin(doc.path, 1), "", "file is empty")
        top = doc.mapping(doc.root, "top level")
        if "language" in top:
            top = doc.mapping(doc.root, "top level", _LANGUAGE_KEYS)  # reports typos at their line
            language_docs.append((doc, top))
        else:
            unknown = set(top) - _SHARED_KEYS
            if "intents" in top:
                raise doc.error(top["intents"], "top level",
                                "a file with intents needs 'language: <code>' (e.g. language: en)")
            if unknown or not top:
                raise doc.error(doc.root, "top level",
                                "a shared file holds only 'lists' and 'rules'; a language file needs 'language'")
            if "lists" in top:
                for name, node in doc.mapping(top["lists"], "lists").items():
                    _merge_list(shared_lists, _parse_list(doc, name, node))
            if "rules" in top:
                _parse_rules(doc, top["rules"], shared_rules)

    if not language_docs:
        raise GrammarError(Origin(", ".join(str(f) for f in files)), "",
                           "no language file (a file with 'language: <code>' and 'intents')")

    for doc, top in language_docs:
        code = doc.string(top["language"], "language").strip()
        if not code:
            raise doc.error(top["language"], "language", "empty language code")
        parts = languages.get(code)
        if parts is None:
            parts = languages[code] = _LanguageParts(code)
            for name, lst in shared_lists.items():
                _merge_list(parts.lists, lst)
            parts.rules.update(shared_rules)
        parts.sources.append(doc.path)
        if "lists" in top:
            for name, node in doc.mapping(top["lists"], "lists").items():
                _merge_list(parts.lists, _parse_list(doc, name, node))
        if "rules" in top:
            _parse_rules(doc, top["rules"], parts.rules)
        if "skip_words" in top:
            parts.skip_words.extend(s for s, _ in doc.strings(top["skip_words"], "skip_words"))
        if "negations" in top:
            parts.negations.extend(s for s, _ in doc.strings(top["negations"], "negations"))
        if "pronunciations" in top:
            _parse_pronunciations(doc, top["pronunciations"], parts.pronunciations)
        if "lead_words" in top:
            parts.lead_words.extend(s for s, _ in doc.strings(top["lead_words"], "lead_words"))
        if "frames" in top:
            _parse_frames(doc, top["frames"], parts.frames)
        if "intents" in top:
            for name, node in doc.mapping(top["intents"], "intents").items():
                intent = _parse_intent(doc, name, node)
                old = parts.intents.get(name)
                if old is None:
                    parts.intents[name] = intent
                else:
                    # Same intent in a second file of the same language: add its sentences.
                    parts.intents[name] = IntentDef(
                        name, old.templates + intent.templates,
                        tuple(dict.fromkeys(old.required + intent.required)),
                        tuple(dict.fromkeys(old.keywords + intent.keywords)), old.origin,
                        tuple(dict.fromkeys(old.replies + intent.replies)))

    grammar_languages: dict[str, LanguageGrammar] = {}
    for code, parts in languages.items():
        if not parts.intents:
            raise GrammarError(Origin(parts.sources[0]), f"language '{code}'", "no intents defined")
        grammar_languages[code] = _check_language(parts, warnings)
    return Grammar(grammar_languages, [str(f) for f in files], warnings)
