"""The fuzzy stage's carrier phrases are kept between runs (`fuzzy._carriers_cache`): choosing them is about half
of a parser's build. A parser built from the kept carriers must hold exactly the carriers it would choose
itself, and a damaged cache file must cost a rebuild, never a wrong or failed start."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.nlu.fuzzy import MAX_CARRIERS_PER_TEMPLATE, CarrierIndex, _carriers_cache
from assistant.nlu.parser import Parser


def carriers(index: CarrierIndex) -> list[tuple[str, str, str, str]]:
    """Every carrier of the index, with its intent and slot positions, in the index's order."""
    out = []
    for groups in (index._index, index._minus):
        for seq, group in groups.items():
            for key, fulls, infos in zip(group.keys, group.fulls, group.infos):
                out.append((repr(seq), key, repr(fulls), repr(infos)))
    return out


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "mia"


@pytest.mark.slow
def test_kept_carriers_are_the_ones_chosen_and_a_damaged_file_is_rebuilt(parser: Parser, cache_home: Path) -> None:
    comp = parser._compiled["fr"]
    path = _carriers_cache(comp, MAX_CARRIERS_PER_TEMPLATE)
    assert path is not None and path.parent == cache_home and not path.exists()
    fresh = CarrierIndex(comp)  # chosen, then kept
    assert path.is_file()
    kept = CarrierIndex(comp)  # read back
    assert carriers(kept) == carriers(fresh) and kept.carrier_count == fresh.carrier_count > 1000
    path.write_bytes(path.read_bytes()[:100])  # a run stopped mid-write by an older version, a full disk...
    again = CarrierIndex(comp)
    assert carriers(again) == carriers(fresh)
    assert len(path.read_bytes()) > 100  # written whole again
