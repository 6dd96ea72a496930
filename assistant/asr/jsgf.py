"""Just enough JSGF reading to validate a grammar before a decoder sees it.

PocketSphinx silently drops a grammar whose words are missing from its pronunciation dictionary
(the decoder then recognises nothing); listing the unknown words up front turns that into a clear
error for whoever edits the grammar files.
"""
from __future__ import annotations

import re

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"//[^\n]*")
_HEADER = re.compile(r"#JSGF[^;]*;")
_GRAMMAR_DECL = re.compile(r"\bgrammar\s+[\w.]+\s*;")
_IMPORT = re.compile(r"\bimport\s+<[^>]*>\s*;")
_RULE = re.compile(r"(?:public\s+)?<([^>]+)>\s*=\s*(.*?);", re.S)
_TAG = re.compile(r"\{[^}]*\}")
_WEIGHT = re.compile(r"/[^/]*/")
_RULEREF = re.compile(r"<[^>]+>")
_QUOTED = re.compile(r'"([^"]*)"')


def strip_jsgf(text: str) -> str:
    for pat in (_BLOCK_COMMENT, _LINE_COMMENT, _HEADER, _GRAMMAR_DECL, _IMPORT):
        text = pat.sub(" ", text)
    return text


def jsgf_rules(text: str) -> dict[str, str]:
    """Rule name -> body (comments and header removed)."""
    return {m.group(1).strip(): m.group(2).strip() for m in _RULE.finditer(strip_jsgf(text))}


def jsgf_words(text: str) -> set[str]:
    """Every terminal word used by the grammar's rules."""
    words: set[str] = set()
    for body in jsgf_rules(text).values():
        body = _TAG.sub(" ", body)
        body = _WEIGHT.sub(" ", body)
        body = _RULEREF.sub(" ", body)
        for quoted in _QUOTED.findall(body):
            words.update(quoted.split())
        body = _QUOTED.sub(" ", body)
        body = re.sub(r"[()\[\]|*+=]", " ", body)
        words.update(w for w in body.split() if w and w != "<NULL>" and w != "<VOID>")
    return words


# A comment line that carries a pronunciation with the grammar ("// pronunciation: cvar S IY V AA R"):
# written by `assistant.grammar.compile.to_jsgf` from the grammar's `pronunciations:` section, read
# by the PocketSphinx backend, skipped by every JSGF reader as a comment.
PRONUNCIATION_TAG = "// pronunciation:"


def jsgf_pronunciations(text: str) -> dict[str, list[str]]:
    """{word: [phones, ...]} from the grammar's pronunciation comment lines."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(PRONUNCIATION_TAG):
            word, _, phones = line[len(PRONUNCIATION_TAG):].strip().partition(" ")
            if word and phones.strip():
                out.setdefault(word, []).append(" ".join(phones.split()))
    return out


def has_public_rule(text: str) -> bool:
    return re.search(r"\bpublic\s+<[^>]+>\s*=", strip_jsgf(text)) is not None
