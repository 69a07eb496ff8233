"""English replies: intent names and the wording of what a reply asks for (``templates/en/labels.toml``).

Staff keep reading Japanese (missing list, notes, cards); only the text the customer reads switches language.
"""

from __future__ import annotations

import tomllib
from functools import cache

from desk.errors import InputError
from desk.resolvers.base import Need, canonical_key
from templates import TEMPLATES_DIR

__all__ = ["LANGUAGES", "intent_label", "need_label", "normalise_language"]

LANGUAGES: tuple[str, ...] = ("ja", "en")

# Last resort when neither the Japanese label nor the key has an English wording: still English, and staff
# see the precise item in the Japanese missing list of the card.
_FALLBACK_NEED = "The further details our staff will confirm with you"


@cache
def _labels() -> dict[str, dict[str, str]]:
    path = TEMPLATES_DIR / "en" / "labels.toml"
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"英語の表示名ファイル（{path.name}）を読み込めません: {exc}") from exc
    return {section: {str(k): str(v) for k, v in data.get(section, {}).items()} for section in data}


def normalise_language(language: str) -> str:
    """``"en"`` for English (``en``, ``en-GB``, ``EN``); Japanese for anything else."""
    return "en" if language.strip().lower().startswith("en") else "ja"


def intent_label(intent: str) -> str:
    """The intent's name as an English reply writes it (section headings, the subject)."""
    return _labels()["intents"].get(intent) or _labels()["intents"]["other"]


def need_label(need: Need) -> str:
    """How an English reply asks for ``need``: by its Japanese label first (the most precise wording),
    then by its key."""
    labels = _labels()
    return (
        labels["needs"].get(need.label)
        or labels["need_keys"].get(need.key)
        or labels["need_keys"].get(canonical_key(need.key))
        or _FALLBACK_NEED
    )


def has_need_label(label: str) -> bool:
    """Whether a Japanese need label has its own English wording (tests keep faq/ and this file in step)."""
    return label in _labels()["needs"]
