"""Labels in the Picovoice speech-to-intent benchmark format, plus rejection items.

    {
      "en_001.wav": {"intent": "place_trade", "slots": {"side": "BUY", "quantity": 2, "symbol": "ES"}},
      "en_050.wav": {"intent": "halt"},                     # no slots: "slots" may be left out
      "en_090.wav": {"intent": null},                       # must be rejected (nothing inferred)
      "en_091.wav": {}                                      # same: the intent is absent
    }

Keys are audio file names relative to the audio folder (sub-folders allowed: "alice/cmd1.wav").
Two optional keys extend the format and are ignored by other tools: `language` ("en", "fr"; else
taken from `--lang` or from the labels file name, `labels_fr.json` -> fr) and `text` (the sentence
that was said, shown next to failures).

Every problem is a `LabelsError` naming the file, and the entry when there is one.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".aiff", ".aif")
_ENTRY_KEYS = {"intent", "slots", "language", "text"}
_LANG_IN_NAME = re.compile(r"(?:^|[_\-.])(en|fr)$", re.IGNORECASE)


class LabelsError(ValueError):
    """Unusable labels or audio folder; bilingual message."""

    def __init__(self, fr: str, en: str) -> None:
        self.fr = fr
        self.en = en
        super().__init__(f"{fr}\n{en}")


@dataclass(frozen=True)
class Label:
    file: str  # key in the labels file: path relative to the audio folder
    intent: str | None  # None: a rejection item (nothing may be inferred)
    slots: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    text: str | None = None

    @property
    def is_rejection(self) -> bool:
        return self.intent is None


def language_from_name(path: str | Path) -> str | None:
    """`labels_fr.json` -> "fr", `en.json` -> "en", else None."""
    m = _LANG_IN_NAME.search(Path(path).stem)
    return m.group(1).lower() if m else None


def _entry_error(path: Path, key: str, fr: str, en: str) -> LabelsError:
    return LabelsError(f"{path} : entrée « {key} » : {fr}", f"{path}: entry '{key}': {en}")


def _check_slot_value(path: Path, key: str, slot: str, value: Any) -> None:
    if isinstance(value, (str, int, float, bool)):
        if isinstance(value, str) and not value.strip():
            raise _entry_error(path, key, f"le slot « {slot} » a une valeur vide",
                               f"slot '{slot}' has an empty value")
        return
    raise _entry_error(path, key, f"le slot « {slot} » doit valoir un texte ou un nombre, pas {json.dumps(value)}",
                       f"slot '{slot}' must be text or a number, not {json.dumps(value)}")


def _parse_entry(path: Path, key: str, value: Any, default_language: str | None) -> Label:
    if not isinstance(key, str) or not key.strip():
        raise LabelsError(f"{path} : nom de fichier vide dans les étiquettes",
                          f"{path}: empty file name in the labels")
    if value is None:
        return Label(key, None, {}, default_language)
    if not isinstance(value, dict):
        raise _entry_error(path, key,
                           f"attendu un objet {{\"intent\": …, \"slots\": {{…}}}}, obtenu {json.dumps(value)}",
                           f"expected an object {{\"intent\": ..., \"slots\": {{...}}}}, got {json.dumps(value)}")
    unknown = sorted(set(value) - _ENTRY_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_ENTRY_KEYS))
        raise _entry_error(path, key, f"clé(s) inconnue(s) {', '.join(unknown)} (autorisées : {allowed})",
                           f"unknown key(s) {', '.join(unknown)} (allowed: {allowed})")
    intent = value.get("intent")
    if intent is not None and (not isinstance(intent, str) or not intent.strip()):
        raise _entry_error(path, key, f"« intent » doit être un nom d'intention ou null, pas {json.dumps(intent)}",
                           f"'intent' must be an intent name or null, not {json.dumps(intent)}")
    slots = value.get("slots", {})
    if slots is None:
        slots = {}
    if not isinstance(slots, dict):
        raise _entry_error(path, key, f"« slots » doit être un objet {{nom: valeur}}, pas {json.dumps(slots)}",
                           f"'slots' must be an object {{name: value}}, not {json.dumps(slots)}")
    for slot, v in slots.items():
        _check_slot_value(path, key, slot, v)
    if intent is None and slots:
        raise _entry_error(path, key, "un élément à rejeter (intent null ou absent) ne peut pas avoir de slots",
                           "an item to reject (null or absent intent) cannot have slots")
    language = value.get("language", default_language)
    if language is not None and (not isinstance(language, str) or not language.strip()):
        raise _entry_error(path, key, f"« language » doit être un code de langue, pas {json.dumps(language)}",
                           f"'language' must be a language code, not {json.dumps(language)}")
    text = value.get("text")
    if text is not None and not isinstance(text, str):
        raise _entry_error(path, key, "« text » doit être un texte", "'text' must be text")
    return Label(key, intent.strip() if intent else None, dict(slots), language.lower() if language else None, text)


def load_labels(path: str | Path, default_language: str | None = None) -> dict[str, Label]:
    """Read one labels file. `default_language` (e.g. from `--lang`) wins over the file name;
    an entry's own `language` wins over both."""
    p = Path(path)
    if not p.exists():
        raise LabelsError(f"Fichier d'étiquettes introuvable : {p}", f"Labels file not found: {p}")
    if p.is_dir():
        raise LabelsError(f"{p} est un dossier, pas un fichier d'étiquettes JSON",
                          f"{p} is a folder, not a JSON labels file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LabelsError(f"{p} n'est pas du texte UTF-8 ({exc.reason})",
                          f"{p} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise LabelsError(f"Lecture impossible de {p} : {exc.strerror}", f"Cannot read {p}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabelsError(
            f"{p} n'est pas du JSON valide : {exc.msg} (ligne {exc.lineno}, colonne {exc.colno})",
            f"{p} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        ) from None
    if not isinstance(data, dict):
        raise LabelsError(
            f"{p} : attendu un objet JSON associant chaque nom de fichier audio à {{\"intent\", \"slots\"}}",
            f"{p}: expected a JSON object mapping each audio file name to {{\"intent\", \"slots\"}}",
        )
    if not data:
        raise LabelsError(f"{p} ne contient aucune étiquette", f"{p} holds no labels")
    language = default_language or language_from_name(p)
    return {key: _parse_entry(p, key, value, language) for key, value in data.items()}


def audio_files(folder: Path) -> list[str]:
    """Audio files under `folder`, as paths relative to it (posix separators), sorted."""
    return sorted(f.relative_to(folder).as_posix() for f in folder.rglob("*")
                  if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS)


@dataclass(frozen=True)
class Dataset:
    """Labelled audio, ready to run: every label has its file."""

    items: list[tuple[Path, Label]]  # (audio path, label), in labels order
    unlabelled: list[str]  # audio files of the folders that no label mentions (skipped)


def load_dataset(audio_dirs: list[str | Path], labels_files: list[str | Path],
                 default_language: str | None = None) -> Dataset:
    """Labels files paired with audio folders: one folder for every labels file, or one per file."""
    if not labels_files:
        raise LabelsError("Aucun fichier d'étiquettes (--labels)", "No labels file (--labels)")
    if len(audio_dirs) not in (1, len(labels_files)):
        raise LabelsError(
            f"{len(audio_dirs)} dossiers audio pour {len(labels_files)} fichiers d'étiquettes : "
            "donnez un seul dossier, ou un dossier par fichier d'étiquettes (dans le même ordre)",
            f"{len(audio_dirs)} audio folders for {len(labels_files)} labels files: give one folder, "
            "or one folder per labels file (in the same order)",
        )
    dirs = [Path(d) for d in audio_dirs] * (len(labels_files) if len(audio_dirs) == 1 else 1)
    items: list[tuple[Path, Label]] = []
    seen: dict[Path, str] = {}
    used: dict[Path, set[str]] = {}
    for folder, labels_path in zip(dirs, labels_files):
        if not folder.is_dir():
            raise LabelsError(f"Dossier audio introuvable : {folder}", f"Audio folder not found: {folder}")
        labels = load_labels(labels_path, default_language)
        missing = [k for k in labels if not (folder / k).is_file()]
        if missing:
            shown = ", ".join(missing[:10]) + (f" … (+{len(missing) - 10})" if len(missing) > 10 else "")
            raise LabelsError(
                f"{labels_path} : {len(missing)} fichier(s) étiqueté(s) absent(s) de {folder} : {shown}",
                f"{labels_path}: {len(missing)} labelled file(s) missing from {folder}: {shown}",
            )
        for key, label in labels.items():
            audio = (folder / key).resolve()
            if audio in seen:
                raise LabelsError(f"{audio} est étiqueté deux fois ({seen[audio]} et {labels_path})",
                                  f"{audio} is labelled twice ({seen[audio]} and {labels_path})")
            seen[audio] = str(labels_path)
            used.setdefault(folder, set()).add(Path(key).as_posix())
            items.append((folder / key, label))
    unlabelled: list[str] = []
    for folder in dict.fromkeys(dirs):
        unlabelled += [str(folder / f) for f in audio_files(folder) if f not in used.get(folder, set())]
    return Dataset(items, unlabelled)
