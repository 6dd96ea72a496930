"""Equivalence check for parser optimisations: the full parse result of every corpus line, and
of seeded perturbations of them, must not change when only the matching machinery changes.

    .venv/bin/python bench/parser_equivalence.py                  # compare with the merge base of main
    .venv/bin/python bench/parser_equivalence.py --baseline REV   # ...or with any revision
    .venv/bin/python bench/parser_equivalence.py --dump FILE      # only write this tree's dump

How: the script dumps, one JSON line per parse, every field of `ParseResult` (intent, slots and
their text, language, score, method/stage, alternatives, refusal reason and detail, missing
slots, typed-only, nearest intent: what the "not understood, you can say..." examples come
from) for

* every line of tests/nlu/*.yaml (the answers files' `cases` too), the paraphrase sets /work/notes/paraphrases/{dev,heldout,
  heldout2,heldout3}_{en,fr}.yaml and the audio fixtures' sentences and labels
  (audio_fixtures/sentences_*.yaml, labels_*.json), each parsed with lang "auto", with
  `prefer="fr"`, and in its own language, and what `context_answer` and `opens_with_answer`
  make of it (the read-back answers of tests/nlu/test_answers.py);
* `--variants` seeded perturbations of each (a word dropped or doubled, a typo, a swap of
  two words, upper/title/random case, accents removed, two of these at once), lang "auto";
* the original lines again through the test grammar tests/nlu/grammars/coffee.yaml (a grammar
  without frames or classifier).

With a baseline revision, the same dump is made by a copy of this tree whose changed files
under assistant/ are put back as they are at that revision (so grammars, corpora and
classifier data are the same on both sides and only the code differs), in a separate
process, and the two dumps must be byte-identical. Exit status 1 on any difference.

Both processes run with the same PYTHONHASHSEED (`--hash-seed`, default 0): the parser's
refusal analysis is not independent of set iteration order (`CarrierIndex._missing_slot`
prunes candidates in the order of a set of queries), so a few refusal *scores* of perturbed
sentences differ between two processes with different seeds even for the same code.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any, Iterator

import yaml

ROOT = Path(__file__).resolve().parents[1]
PARAPHRASES = Path("/work/notes/paraphrases")
#: Named one by one: other files of that folder may be blind sets nobody may read.
PARAPHRASE_SETS = ("dev", "heldout", "heldout2", "heldout3")


# ------------------------------------------------------------------ corpus
def _yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader


def corpus(root: Path) -> list[tuple[str, str | None]]:
    """(sentence, language or None) of every corpus, first occurrence order, no duplicates."""
    found: dict[str, str | None] = {}

    def add(text: Any, lang: str | None) -> None:
        if isinstance(text, str) and text not in found:
            found[text] = lang

    for path in sorted((root / "tests" / "nlu").glob("*.yaml")):
        lang = path.stem.rsplit("_", 1)[-1] if path.stem[-3:] in ("_en", "_fr") else None
        data = _yaml(path) or []
        if isinstance(data, dict):  # answers_*.yaml: {language, cases: [...]}
            data = data.get("cases") or []
        for line in data:
            if isinstance(line, dict):
                add(line.get("t"), lang)
    for name in PARAPHRASE_SETS:
        for lang in ("en", "fr"):
            path = PARAPHRASES / f"{name}_{lang}.yaml"
            if path.is_file():
                for line in _yaml(path) or []:
                    if isinstance(line, dict):
                        add(line.get("t"), lang)
    fixtures = root / "audio_fixtures"
    for lang in ("en", "fr"):
        path = fixtures / f"sentences_{lang}.yaml"
        if path.is_file():
            for group in (_yaml(path) or {}).get("groups", []):
                for item in group.get("items", []):
                    add(item.get("t"), lang)
                    add(item.get("say"), lang)
        for path in sorted(fixtures.glob(f"labels*_{lang}.json")):
            for label in json.loads(path.read_text(encoding="utf-8")).values():
                if isinstance(label, dict):
                    add(label.get("text"), lang)
    return list(found.items())


def _strip_accents(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word + word[-1]
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1:]                              # a letter dropped
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]      # two letters swapped
    letter = rng.choice("abcdefghijklmnopqrstuvwxyzéè")
    if kind == 2:
        return word[:i] + letter + word[i + 1:]                     # a letter replaced
    return word[:i] + letter + word[i:]                             # a letter added


def _perturb(text: str, op: int, rng: random.Random) -> str:
    words = text.split()
    if not words:
        return text
    k = rng.randrange(len(words))
    if op == 0:
        return " ".join(words[:k] + words[k + 1:])
    if op == 1:
        return " ".join(words[:k + 1] + words[k:])
    if op == 2:
        return " ".join(words[:k] + [_typo(words[k], rng)] + words[k + 1:])
    if op == 3 and len(words) > 1:
        k = min(k, len(words) - 2)
        return " ".join(words[:k] + [words[k + 1], words[k]] + words[k + 2:])
    if op == 4:
        return rng.choice((text.upper(), text.title(), "".join(
            ch.upper() if rng.random() < 0.5 else ch.lower() for ch in text)))
    if op == 5:
        return _strip_accents(text)
    return _perturb(_perturb(text, rng.randrange(6), rng), rng.randrange(6), rng)


def variants(text: str, count: int, seed: int) -> list[str]:
    rng = random.Random(f"{seed}:{text}")
    out: list[str] = []
    for n in range(count):
        candidate = _perturb(text, n % 7, rng)
        if candidate != text and candidate not in out:
            out.append(candidate)
    return out


# ------------------------------------------------------------------ dump
def _row(tag: str, result: Any) -> str:
    fields = ("text", "normalized", "matched", "intent", "slots", "slot_text", "language", "language_certain",
              "score", "method", "alternatives", "reason", "detail", "missing", "typed_only", "nearest")
    data = {name: getattr(result, name) for name in fields}
    data["score"] = repr(data["score"])
    data["slots"] = [[k, type(v).__name__, repr(v)] for k, v in data["slots"].items()]
    data["alternatives"] = [[name, repr(score)] for name, score in data["alternatives"]]
    return json.dumps([tag, data], ensure_ascii=False)


def parses(root: Path, count: int, seed: int) -> Iterator[str]:
    from assistant.nlu.parser import Parser

    lines = corpus(root)
    parser = Parser.from_paths(root / "grammars")
    for text, lang in lines:
        yield _row("auto", parser.parse(text))
        yield _row("prefer-fr", parser.parse(text, prefer="fr"))
        if lang in parser.languages:
            yield _row(lang, parser.parse(text, lang))
        # What the dialogue asks of a sentence said while a read-back waits (tests/nlu/test_answers.py).
        yield json.dumps(["answer", text, parser.context_answer(text), parser.opens_with_answer(text)],
                         ensure_ascii=False)
    for text, _ in lines:
        for variant in variants(text, count, seed):
            yield _row("variant", parser.parse(variant))
    coffee = Parser.from_paths(root / "tests" / "nlu" / "grammars" / "coffee.yaml")
    for text, _ in lines:
        yield _row("coffee", coffee.parse(text))


def dump(root: Path, out: Path, count: int, seed: int) -> tuple[int, str]:
    digest = hashlib.sha256()
    n = 0
    with out.open("w", encoding="utf-8") as fh:
        for row in parses(root, count, seed):
            fh.write(row + "\n")
            digest.update(row.encode() + b"\n")
            n += 1
    return n, digest.hexdigest()


# ------------------------------------------------------------------ baseline tree
def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def baseline_tree(rev: str, into: Path) -> list[str]:
    """A copy of this tree (assistant/, grammars/, tests/nlu, audio fixtures' texts) with every
    file under assistant/ that differs from `rev` put back as it is at `rev`. Returns those files."""
    shutil.copytree(ROOT / "assistant", into / "assistant",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copytree(ROOT / "grammars", into / "grammars")
    shutil.copytree(ROOT / "tests" / "nlu", into / "tests" / "nlu", ignore=shutil.ignore_patterns("__pycache__"))
    (into / "audio_fixtures").mkdir()
    for path in (ROOT / "audio_fixtures").glob("*"):
        if path.suffix in (".yaml", ".json"):
            shutil.copy2(path, into / "audio_fixtures" / path.name)
    changed = sorted(set(_git("diff", "--name-only", rev, "--", "assistant").split())
                     | set(_git("ls-files", "--others", "--exclude-standard", "--", "assistant").split()))
    for name in changed:
        target = into / name
        try:
            content = subprocess.run(["git", "show", f"{rev}:{name}"], cwd=ROOT, check=True,
                                     capture_output=True).stdout
        except subprocess.CalledProcessError:
            target.unlink(missing_ok=True)  # a file added since
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return changed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", metavar="REV", help="revision to compare with (default: merge base of HEAD and main)")
    ap.add_argument("--dump", type=Path, metavar="FILE", help="only write this tree's dump to FILE")
    ap.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    ap.add_argument("--variants", type=int, default=7, help="perturbations per sentence (default 7)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--hash-seed", default="0", help="PYTHONHASHSEED of both dumps (default 0)")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="keep both dumps in DIR")
    args = ap.parse_args()

    if args.dump is not None:
        sys.path.insert(0, str(args.root))
        t0 = time.perf_counter()
        n, digest = dump(args.root, args.dump, args.variants, args.seed)
        build = sys.modules.get("assistant.nlu.native")  # (a baseline older than the compiled build has none)
        which = f" ({build.state().line()})" if build is not None else ""
        print(f"{args.root}: {n} parses in {time.perf_counter() - t0:.1f} s, sha256 {digest}{which}")
        return 0

    rev = args.baseline or _git("merge-base", "HEAD", "main").strip()
    with tempfile.TemporaryDirectory(prefix="mia-equiv-") as tmp:
        work = Path(tmp)
        base_root = work / "baseline"
        changed = baseline_tree(rev, base_root)
        print(f"baseline: {rev[:12]} with {len(changed)} file(s) of assistant/ put back: {', '.join(changed) or '-'}")
        outputs = {"baseline": (base_root, work / "baseline.jsonl"), "current": (ROOT, work / "current.jsonl")}
        for name, (root, out) in outputs.items():
            env = dict(os.environ, PYTHONPATH=str(root), PYTHONDONTWRITEBYTECODE="1",
                       PYTHONHASHSEED=str(args.hash_seed))
            subprocess.run([sys.executable, __file__, "--root", str(root), "--dump", str(out),
                            "--variants", str(args.variants), "--seed", str(args.seed)],
                           check=True, env=env, cwd=root)
        old = outputs["baseline"][1].read_text(encoding="utf-8").splitlines()
        new = outputs["current"][1].read_text(encoding="utf-8").splitlines()
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name, (_, out) in outputs.items():
                shutil.copy2(out, args.keep / out.name)
        diffs = [(a, b) for a, b in zip(old, new) if a != b]
        if len(old) != len(new):
            print(f"DIFFERENT: {len(old)} parses at baseline, {len(new)} now")
            return 1
        if diffs:
            print(f"DIFFERENT: {len(diffs)} of {len(old)} parses differ; first ones:")
            for a, b in diffs[:5]:
                print("  was:", a)
                print("  now:", b)
            return 1
        print(f"IDENTICAL: {len(new)} parses, byte for byte")
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
