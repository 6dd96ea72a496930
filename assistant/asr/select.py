"""Which recogniser serves which language, decided once at start-up and said out loud.

`auto` policy: per language, the most accurate engine installed, in the order measured by
`bench/asr_compare.py` on the natural-voice fixture sets (figures in README.md and docs/asr.md).
"Most accurate" ranks wrong actions first (a misheard command must be refused, never acted on),
then acceptance: on the fixture set `whisper-grammar` had no wrong action in either language,
PocketSphinx (English) and free Whisper did, although they accept more commands:

- `whisper-grammar` (Whisper constrained by the grammars, `constrained_whisper.py`) when a
  Whisper model is configured or installed: it serves *every* grammar language in one search,
  so French and English never compete as two recognisers;
- else Vosk when a Vosk model of the language is installed (not measurable on the development
  machine: no Vosk model can be fetched there);
- else PocketSphinx for English (its model ships in the wheel, so English works on a fresh
  machine), free-transcription Whisper for French;
- else nothing - and the start-up message says what to install.

`pocketsphinx-verified` (English: PocketSphinx proposes, Whisper verifies, `verified.py`) is chosen
only on request (`asr.backend_en: pocketsphinx-verified`): measured on the same English files it
accepts about twice as many clean commands as `whisper-grammar`, with no wrong action, but with it
French is searched alone and the French acceptance halved (11/51 -> 5/51), and the CPU per
utterance is 3-4x (docs/asr.md). Add it to `AUTO_ORDER["en"]` to make it the English default.
An explicit backend (config `asr.backend_en/fr`, or `--backend`) that cannot run is an error, not
a silent fallback: the user asked for it.
"""
from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import BackendUnavailable, Recognizer
from .models import find_vosk_model, find_whisper_model, models_dir
from .vosk_backend import check_model_dir as check_vosk_dir
from .whisper_backend import check_model_dir as check_whisper_dir

LANGS = ("en", "fr")
GRAMMAR_WHISPER = "whisper-grammar"
VERIFIED = "pocketsphinx-verified"
BACKENDS = (GRAMMAR_WHISPER, VERIFIED, "vosk", "pocketsphinx", "whisper")
#: `auto` tries these in order (most accurate first, see the module docstring).
AUTO_ORDER = {"en": (GRAMMAR_WHISPER, "vosk", "pocketsphinx", "whisper"),
              "fr": (GRAMMAR_WHISPER, "vosk", "whisper")}


@dataclass(frozen=True)
class BackendChoice:
    lang: str
    backend: str | None  # None: this language cannot be recognised
    model_path: Path | None
    message: str  # bilingual start-up line
    install_hint: str | None = None  # what would give this language (a better) recogniser

    @property
    def available(self) -> bool:
        return self.backend is not None

    def create(self, *, jsgf: str | None = None, phrases: list[str] | None = None,
               hotwords: str | None = None, grammar: Any = None,
               langs: tuple[str, ...] | None = None) -> Recognizer:
        """Build the recogniser. PocketSphinx needs `jsgf`, Vosk `phrases`; Whisper may use
        `hotwords` (grammar vocabulary that biases decoding); the grammar-constrained Whisper
        needs the loaded `grammar` and the languages it serves (`langs`, default this one)."""
        if self.backend == GRAMMAR_WHISPER:
            from .constrained_whisper import ConstrainedWhisperRecognizer

            if grammar is None:
                raise ValueError("the whisper-grammar backend needs the loaded grammar")
            assert self.model_path is not None
            return ConstrainedWhisperRecognizer(self.model_path, grammar, langs or (self.lang,))
        if self.backend == VERIFIED:
            from .verified import VerifiedRecognizer

            if grammar is None:
                raise ValueError("the pocketsphinx-verified backend needs the loaded grammar")
            assert self.model_path is not None
            return VerifiedRecognizer(self.model_path, grammar, self.lang, jsgf=jsgf)
        if self.backend == "pocketsphinx":
            from .pocketsphinx_backend import PocketsphinxRecognizer

            if jsgf is None:
                raise ValueError("the pocketsphinx backend needs a JSGF grammar")
            return PocketsphinxRecognizer(jsgf, lang=self.lang)
        if self.backend == "vosk":
            from .vosk_backend import VoskRecognizer

            if phrases is None:
                raise ValueError("the vosk backend needs a phrase list")
            assert self.model_path is not None
            return VoskRecognizer(self.model_path, phrases, self.lang)
        if self.backend == "whisper":
            from .whisper_backend import WhisperRecognizer

            assert self.model_path is not None
            return WhisperRecognizer(self.model_path, lang=self.lang, hotwords=hotwords)
        raise BackendUnavailable(
            f"Aucun moteur de reconnaissance pour la langue {self.lang}. {self.message}",
            f"No speech recogniser for language {self.lang}. {self.message}",
        )


def _module_present(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _vosk_model(asr: Any, lang: str, dest: Path) -> Path | None:
    configured = getattr(asr, f"vosk_model_{lang}", None)
    if configured:
        return Path(configured).expanduser()
    return find_vosk_model(lang, dest)


def _whisper_model(asr: Any, dest: Path) -> Path | None:
    if asr.whisper_model:
        return Path(asr.whisper_model).expanduser()
    return find_whisper_model(dest)


def _usable_vosk(path: Path | None, lang: str) -> Path | None:
    if path is None or not _module_present("vosk"):
        return None
    try:
        return check_vosk_dir(path, lang)
    except BackendUnavailable:
        return None


def _usable_whisper(path: Path | None) -> Path | None:
    if path is None or not _module_present("faster_whisper"):
        return None
    try:
        return check_whisper_dir(path)
    except BackendUnavailable:
        return None


_GRAMMAR_WHISPER_MODULES = ("ctranslate2", "torch", "tokenizers", "faster_whisper")


def _usable_grammar_whisper(path: Path | None) -> Path | None:
    if path is None or not all(_module_present(m) for m in _GRAMMAR_WHISPER_MODULES):
        return None
    try:
        return check_whisper_dir(path) if (path / "tokenizer.json").is_file() else None
    except BackendUnavailable:
        return None


def _grammar_whisper_choice(lang: str, path: Path, hint: str = "") -> BackendChoice:
    label = lang.upper()
    return BackendChoice(
        lang, GRAMMAR_WHISPER, path,
        f"{label} : whisper-grammar ({path.name}, contraint par la grammaire, français et anglais en une "
        f"seule recherche{hint and ' ; ' + hint}) / {label}: whisper-grammar ({path.name}, constrained by the "
        f"grammar, French and English in one search{hint and '; ' + hint})",
    )


def _usable_verified(path: Path | None) -> Path | None:
    return _usable_grammar_whisper(path) if _module_present("pocketsphinx") else None


def _verified_choice(lang: str, path: Path) -> BackendChoice:
    label = lang.upper()
    return BackendChoice(
        lang, VERIFIED, path,
        f"{label} : pocketsphinx-verified (PocketSphinx propose, Whisper {path.name} vérifie ; refuse dans le "
        f"doute) / {label}: pocketsphinx-verified (PocketSphinx proposes, Whisper {path.name} verifies; "
        "refuses when in doubt)",
    )


def _explicit(lang: str, backend: str, asr: Any, dest: Path) -> BackendChoice:
    label = lang.upper()
    if backend == VERIFIED:
        if lang != "en":
            raise BackendUnavailable(
                "pocketsphinx-verified n'est utilisable qu'en anglais ici (modèle PocketSphinx en-us intégré)",
                "pocketsphinx-verified only serves English here (bundled en-us PocketSphinx model)",
            )
        wanted = _whisper_model(asr, dest)
        path = _usable_verified(wanted)
        if path is None:
            missing = [m for m in ("pocketsphinx", *_GRAMMAR_WHISPER_MODULES) if not _module_present(m)]
            where = str(wanted) if wanted else "asr.whisper_model"
            raise BackendUnavailable(
                f"pocketsphinx-verified demandé pour {label} mais modèle Whisper absent ou incomplet ({where} : "
                "model.bin, config.json, tokenizer.json)" + (f" ; pip install {' '.join(missing)}" if missing else ""),
                f"pocketsphinx-verified requested for {label} but the Whisper model is missing or incomplete "
                f"({where}: model.bin, config.json, tokenizer.json)"
                + (f"; pip install {' '.join(missing)}" if missing else ""),
            )
        return _verified_choice(lang, path)
    if backend == "pocketsphinx":
        if lang != "en":
            raise BackendUnavailable(
                "PocketSphinx n'est utilisable qu'en anglais ici (modèle intégré en-us)",
                "PocketSphinx only serves English here (bundled en-us model)",
            )
        if not _module_present("pocketsphinx"):
            raise BackendUnavailable("pip install pocketsphinx", "pip install pocketsphinx")
        return BackendChoice(lang, "pocketsphinx", None,
                             f"{label} : pocketsphinx (modèle anglais intégré) / "
                             f"{label}: pocketsphinx (bundled English model)")
    if backend == "vosk":
        wanted = _vosk_model(asr, lang, dest)
        path = _usable_vosk(wanted, lang)
        if path is None:
            where = str(wanted) if wanted else str(dest)
            raise BackendUnavailable(
                f"Vosk demandé pour {label} mais aucun modèle utilisable ({where}) : "
                f"mia models download {lang}" + ("" if _module_present("vosk") else " ; pip install vosk"),
                f"Vosk requested for {label} but no usable model ({where}): "
                f"mia models download {lang}" + ("" if _module_present("vosk") else "; pip install vosk"),
            )
        return BackendChoice(lang, "vosk", path, f"{label} : vosk ({path.name}) / {label}: vosk ({path.name})")
    if backend == GRAMMAR_WHISPER:
        wanted = _whisper_model(asr, dest)
        path = _usable_grammar_whisper(wanted)
        if path is None:
            missing = [m for m in _GRAMMAR_WHISPER_MODULES if not _module_present(m)]
            where = str(wanted) if wanted else "asr.whisper_model"
            raise BackendUnavailable(
                f"whisper-grammar demandé pour {label} mais modèle Whisper absent ou incomplet ({where} : "
                "model.bin, config.json, tokenizer.json)" + (f" ; pip install {' '.join(missing)}" if missing else ""),
                f"whisper-grammar requested for {label} but the Whisper model is missing or incomplete ({where}: "
                "model.bin, config.json, tokenizer.json)" + (f"; pip install {' '.join(missing)}" if missing else ""),
            )
        return _grammar_whisper_choice(lang, path)
    if backend == "whisper":
        wanted = _whisper_model(asr, dest)
        path = _usable_whisper(wanted)
        if path is None:
            raise BackendUnavailable(
                f"Whisper demandé pour {label} mais modèle absent ({wanted or 'asr.whisper_model non réglé'})"
                + ("" if _module_present("faster_whisper") else " ; pip install faster-whisper"),
                f"Whisper requested for {label} but model missing ({wanted or 'asr.whisper_model not set'})"
                + ("" if _module_present("faster_whisper") else "; pip install faster-whisper"),
            )
        return BackendChoice(lang, "whisper", path,
                             f"{label} : whisper ({path.name}, transcription libre puis analyse) / "
                             f"{label}: whisper ({path.name}, free transcription then parsing)")
    raise BackendUnavailable(f"Moteur inconnu : {backend}", f"Unknown backend: {backend}")


def _auto(lang: str, asr: Any, dest: Path) -> BackendChoice:
    label = lang.upper()
    for backend in AUTO_ORDER.get(lang, ()):
        if backend == VERIFIED:
            verified_path = _usable_verified(_whisper_model(asr, dest))
            if verified_path is not None:
                return _verified_choice(lang, verified_path)
        elif backend == GRAMMAR_WHISPER:
            grammar_path = _usable_grammar_whisper(_whisper_model(asr, dest))
            if grammar_path is not None:
                return _grammar_whisper_choice(lang, grammar_path)
    vosk_path = _usable_vosk(_vosk_model(asr, lang, dest), lang)
    if vosk_path is not None:
        return BackendChoice(lang, "vosk", vosk_path,
                             f"{label} : vosk ({vosk_path.name}) / {label}: vosk ({vosk_path.name})")
    hint_fr = f"pour Vosk : mia models download {lang}"
    hint_en = f"for Vosk: mia models download {lang}"
    if not _module_present("vosk"):
        hint_fr += " (et pip install vosk)"
        hint_en += " (and pip install vosk)"
    if lang == "en" and _module_present("pocketsphinx"):
        return BackendChoice(
            lang, "pocketsphinx", None,
            f"{label} : pocketsphinx (modèle anglais intégré ; {hint_fr}) / "
            f"{label}: pocketsphinx (bundled English model; {hint_en})",
            install_hint=f"mia models download {lang}",
        )
    whisper_path = _usable_whisper(_whisper_model(asr, dest))
    if whisper_path is not None:
        return BackendChoice(
            lang, "whisper", whisper_path,
            f"{label} : whisper ({whisper_path.name}, transcription libre ; {hint_fr}) / "
            f"{label}: whisper ({whisper_path.name}, free transcription; {hint_en})",
            install_hint=f"mia models download {lang}",
        )
    return BackendChoice(
        lang, None, None,
        f"{label} : aucune reconnaissance vocale ; installez un modèle : mia models download {lang}, "
        "ou réglez asr.whisper_model vers un modèle faster-whisper / "
        f"{label}: no speech recognition; install a model: mia models download {lang}, "
        "or set asr.whisper_model to a faster-whisper model",
        install_hint=f"mia models download {lang}",
    )


def select_backends(config: Any, langs: tuple[str, ...] = LANGS,
                    override: str | None = None) -> dict[str, BackendChoice]:
    """Decide the recogniser per language from `config.asr` (and an optional CLI override)."""
    asr = config.asr
    dest = models_dir(config)
    out: dict[str, BackendChoice] = {}
    for lang in langs:
        wanted = str(override or getattr(asr, f"backend_{lang}", None) or "auto")
        if wanted in ("pocketsphinx", VERIFIED) and lang != "en" and override:
            # `--backend pocketsphinx` means "English through pocketsphinx"; French keeps auto.
            wanted = "auto"
        out[lang] = _auto(lang, asr, dest) if wanted == "auto" else _explicit(lang, wanted, asr, dest)
    return out


def startup_report(choices: dict[str, BackendChoice]) -> str:
    return "\n".join(c.message for c in choices.values())


def hotwords_from_phrases(phrases: list[str], limit: int = 40) -> str:
    """The grammar's most used words, to bias Whisper towards the command vocabulary."""
    counts = Counter(w for p in phrases for w in p.lower().split())
    return " ".join(w for w, _ in counts.most_common(limit))


def build_recognizers(choices: dict[str, BackendChoice], grammar: Any) -> dict[str, Recognizer]:
    """Recognisers for every available language, compiled from the project's grammar."""
    from assistant.grammar.compile import to_jsgf, vosk_phrases

    out: dict[str, Recognizer] = {}
    # One grammar-constrained Whisper serves all its languages at once (one search).
    shared = [lang for lang, c in choices.items() if c.available and c.backend == GRAMMAR_WHISPER
              and lang in getattr(grammar, "languages", {lang: None})]
    if shared:
        rec = choices[shared[0]].create(grammar=grammar, langs=tuple(shared))
        for lang in shared:
            out[lang] = rec
    for lang, choice in choices.items():
        if not choice.available or lang in out:
            continue
        if choice.backend == GRAMMAR_WHISPER:
            continue  # a language the grammar does not cover
        if choice.backend == "pocketsphinx":
            out[lang] = choice.create(jsgf=to_jsgf(grammar, lang))
        elif choice.backend == VERIFIED:
            out[lang] = choice.create(jsgf=to_jsgf(grammar, lang), grammar=grammar)
        elif choice.backend == "vosk":
            out[lang] = choice.create(phrases=vosk_phrases(grammar, lang))
        else:
            out[lang] = choice.create(hotwords=hotwords_from_phrases(vosk_phrases(grammar, lang)))
    return out
