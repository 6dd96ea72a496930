"""bench/classifier_loso.py: the held-out sets it finds and how a selection is read (the measure
itself takes minutes and is run by hand: `nice .venv/bin/python bench/classifier_loso.py`)."""
from __future__ import annotations

from pathlib import Path

from bench import classifier_loso as loso

ROOT = Path(__file__).resolve().parents[2]


def test_every_held_out_set_with_both_languages_is_found() -> None:
    found = loso.held_out_sets(None)
    on_disk = {int(p.stem[len("paraphrases_heldout"):-3]) for p in (ROOT / "tests" / "nlu").glob("paraphrases_heldout*_fr.yaml")
               if p.stem[len("paraphrases_heldout"):-3].isdigit()
               and (p.parent / p.name.replace("_fr.yaml", "_en.yaml")).is_file()}
    assert found == sorted(on_disk) and len(found) >= 15


def test_a_selection_keeps_only_the_sets_named() -> None:
    assert loso.held_out_sets("3,12") == [3, 12]
    assert loso.held_out_sets("1-3") == [1, 2, 3]
    assert loso.held_out_sets("999") == []
