"""Errors of the audio input layer, with a message in French and in English.

The dialogue loop and the CLI print `str(error)` to the user, so every message is bilingual.
"""
from __future__ import annotations


class AudioInputError(Exception):
    """An audio input problem the user can fix (bad file, missing device, ...)."""

    def __init__(self, fr: str, en: str) -> None:
        self.fr = fr
        self.en = en
        super().__init__(f"{fr}\n{en}")
