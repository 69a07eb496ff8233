"""Load and validate the knowledge files in ``faq/``: one ``intents/<id>.toml`` per intent plus the shared
``lexicon.toml``.

Every problem is an :class:`desk.errors.InputError` that names the file and, where it can, the line, so a
staff member who edited a file by hand knows where to look.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from desk.errors import InputError
from intents.model import INTENT_IDS, OTHER_REASONS


class Cue(BaseModel):
    """A word or regular expression that is evidence for (keywords) or against (negative) an intent."""

    model_config = ConfigDict(extra="forbid")

    term: str = Field(min_length=1)
    weight: float = 1.0
    regex: bool = False


class FaqEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1)
    a: str = Field(min_length=1)


class Fact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1)
    text: str = Field(min_length=1)
    source: str = Field(min_length=1)


class Need(BaseModel):
    """An item the intent's procedure needs from the customer; ``label`` is how a reply asks for it."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1)
    label: str = Field(min_length=1)


class IntentKnowledge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    examples: list[str] = Field(min_length=1)
    keywords: list[Cue] = Field(default_factory=list)
    negative: list[Cue] = Field(default_factory=list)
    synonyms: dict[str, list[str]] = Field(default_factory=dict)
    form_categories: list[str] = Field(default_factory=list)
    faq: list[FaqEntry] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    needs: list[Need] = Field(default_factory=list)
    # Only in other.toml: examples of each reason a message is not an inquiry (sales, phishing, thanks, ...);
    # the linear model learns the reasons from them and from the labelled corpus.
    reason_examples: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("reason_examples")
    @classmethod
    def _known_reasons(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = [k for k in value if k not in OTHER_REASONS]
        if unknown:
            raise ValueError(f"未知の理由です: {', '.join(unknown)}（使えるのは {', '.join(OTHER_REASONS)}）")
        return value

    @field_validator("keywords", "negative", mode="before")
    @classmethod
    def _plain_strings_are_cues(cls, value: Any) -> Any:
        # Staff may write a bare string for a weight-1 cue: keywords = ["解約", {term = "違約金", weight = 2}]
        if isinstance(value, list):
            return [{"term": v} if isinstance(v, str) else v for v in value]
        return value


class Lexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    synonyms: dict[str, list[str]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Knowledge:
    intents: dict[str, IntentKnowledge]
    # variant surface form -> canonical term, merged from lexicon.toml and every intent file
    synonyms: dict[str, str] = field(default_factory=dict)
    source_dir: Path | None = None

    def get(self, intent_id: str) -> IntentKnowledge | None:
        return self.intents.get(intent_id)


_LINE_RE = re.compile(r"at line (\d+)")


def _line_of(raw: str, needle: str) -> int | None:
    for number, line in enumerate(raw.splitlines(), start=1):
        if needle in line:
            return number
    return None


def _where(path: Path, line: int | None) -> str:
    return f"{path.name} {line}行目" if line else path.name


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: ファイルを読み込めません（{exc}）") from exc
    try:
        return tomllib.loads(raw), raw
    except tomllib.TOMLDecodeError as exc:
        match = _LINE_RE.search(str(exc))
        line = int(match.group(1)) if match else None
        raise InputError(f"{_where(path, line)}: TOMLの書式に誤りがあります（{exc}）") from exc


def _validation_message(path: Path, raw: str, data: dict[str, Any], exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    top = loc[0] if loc else ""
    if first["type"] == "missing":
        return f"{path.name}: 必須の項目「{'.'.join(loc)}」がありません"
    line = _line_of(raw, f"{top} =") or _line_of(raw, f"[[{top}]]") or _line_of(raw, f"[{top}]")
    value = first.get("input")
    if isinstance(value, str) and value:
        line = _line_of(raw, value) or line
    return f"{_where(path, line)}: 項目「{'.'.join(loc)}」が不正です（{first['msg']}）"


def _parse_intent(path: Path) -> tuple[IntentKnowledge, str]:
    data, raw = _read_toml(path)
    try:
        intent = IntentKnowledge.model_validate(data)
    except ValidationError as exc:
        raise InputError(_validation_message(path, raw, data, exc)) from exc
    if intent.id not in INTENT_IDS:
        raise InputError(f"{_where(path, _line_of(raw, 'id ='))}: 未知の意図ID「{intent.id}」です")
    if path.stem != intent.id:
        raise InputError(
            f"{_where(path, _line_of(raw, 'id ='))}: ファイル名と意図ID「{intent.id}」が一致しません"
        )
    return intent, raw


def _merge_synonyms(target: dict[str, str], table: dict[str, list[str]], path: Path, raw: str) -> None:
    from intents.normalize import normalize

    for canonical, variants in table.items():
        canon = normalize(canonical)
        for variant in [canonical, *variants]:
            key = normalize(variant)
            if not key:
                continue
            previous = target.get(key)
            if previous is not None and previous != canon:
                raise InputError(
                    f"{_where(path, _line_of(raw, variant))}: 同義語「{variant}」が"
                    f"「{previous}」と「{canon}」の両方に割り当てられています"
                )
            target[key] = canon


def default_dir() -> Path:
    from faq import FAQ_DIR

    return FAQ_DIR


def load_knowledge(path: Path | None = None) -> Knowledge:
    """Load ``<path>/intents/*.toml`` and ``<path>/lexicon.toml`` (``path`` defaults to the packaged ``faq``)."""
    base = path if path is not None else default_dir()
    intent_dir = base / "intents"
    if not intent_dir.is_dir():
        raise InputError(f"知識ファイルのフォルダが見つかりません: {intent_dir}")
    intents: dict[str, IntentKnowledge] = {}
    synonyms: dict[str, str] = {}
    seen_examples: dict[str, str] = {}
    lexicon_path = base / "lexicon.toml"
    if lexicon_path.exists():
        data, raw = _read_toml(lexicon_path)
        try:
            lexicon = Lexicon.model_validate(data)
        except ValidationError as exc:
            raise InputError(_validation_message(lexicon_path, raw, data, exc)) from exc
        _merge_synonyms(synonyms, lexicon.synonyms, lexicon_path, raw)
    for file in sorted(intent_dir.glob("*.toml")):
        intent, raw = _parse_intent(file)
        _check_examples(intent, file, raw, seen_examples)
        _merge_synonyms(synonyms, intent.synonyms, file, raw)
        intents[intent.id] = intent
    missing = [i for i in INTENT_IDS if i not in intents]
    if missing:
        raise InputError(f"{intent_dir}: 意図の知識ファイルが不足しています: {', '.join(missing)}")
    return Knowledge(intents=intents, synonyms=synonyms, source_dir=base)


def _check_examples(intent: IntentKnowledge, file: Path, raw: str, seen: dict[str, str]) -> None:
    from intents.normalize import normalize

    local: set[str] = set()
    for example in intent.examples:
        key = normalize(example)
        if key in local:
            raise InputError(
                f"{_where(file, _last_line_of(raw, example))}: 例文が重複しています「{example}」"
            )
        if key in seen:
            raise InputError(
                f"{_where(file, _line_of(raw, example))}: 例文「{example}」は {seen[key]} にもあります"
            )
        local.add(key)
    for key in local:
        seen[key] = file.name


def _last_line_of(raw: str, needle: str) -> int | None:
    found = None
    for number, line in enumerate(raw.splitlines(), start=1):
        if needle in line:
            found = number
    return found
