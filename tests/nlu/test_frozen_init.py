"""The cheaper __init__ of the parser's frozen result classes behaves like the dataclass's own."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from assistant.nlu.compiled import ExactHit
from assistant.nlu.frozen_init import fast_frozen_init
from assistant.nlu.result import ParseResult


def _plain() -> type:
    @dataclass(frozen=True, slots=True)
    class Point:
        x: int
        label: str = "p"
        tags: list[str] = field(default_factory=list)
    return Point


def test_same_values_defaults_and_fresh_factories_as_the_generated_init() -> None:
    plain, fast = _plain(), fast_frozen_init(_plain())
    for args, kwargs in (((1,), {}), ((1, "q"), {}), ((2,), {"tags": ["a"]}), ((), {"x": 3, "label": "z"})):
        assert dataclasses.astuple(plain(*args, **kwargs)) == dataclasses.astuple(fast(*args, **kwargs))
    assert fast(1).tags is not fast(1).tags  # a new list each time, like default_factory
    with pytest.raises(TypeError):
        fast()  # the required field is still required
    with pytest.raises(TypeError):
        fast(1, nope=2)


def test_the_class_stays_frozen_and_replace_works() -> None:
    result = ParseResult("buy 2 es", "buy 2 es", True, "place_trade", {"quantity": 2})
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.intent = "halt"  # type: ignore[misc]
    again = dataclasses.replace(result, text="Buy 2 ES")
    assert (again.text, again.slots, again.method, again.alternatives) == ("Buy 2 ES", {"quantity": 2}, "none", [])
    assert ParseResult("a", "a", False, None) == ParseResult("a", "a", False, None)
    assert ExactHit("halt", {}, {}).missing == ()


def test_only_frozen_slotted_dataclasses_are_accepted() -> None:
    @dataclass(slots=True)
    class Mutable:
        x: int

    with pytest.raises(TypeError):
        fast_frozen_init(Mutable)
