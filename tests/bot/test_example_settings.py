"""madoguchi.example.toml documents every setting, and loads as it stands."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "madoguchi.example.toml"


def _fields(model: type[BaseModel], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= _fields(annotation, f"{prefix}{name}.")
        else:
            names.add(prefix + name)
    return names


def _keys(table: dict[str, object], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in table.items():
        if isinstance(value, dict) and key not in ("intake_channels",):
            keys |= _keys(value, f"{prefix}{key}.")
        else:
            keys.add(prefix + key)
    return keys


def test_the_example_names_every_setting_and_nothing_else() -> None:
    documented = _keys(tomllib.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert documented == _fields(Settings)


def test_every_setting_in_the_example_has_a_comment_or_a_section_comment() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#") and not line.startswith("["):
            above = lines[number - 1] if number else ""
            assert "#" in line or above.startswith("#") or "=" in above or above.startswith("["), line


def test_the_example_loads_and_gives_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("VISUAL", "EDITOR", "MADOGUCHI_EDITOR", "MADOGUCHI_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    text = EXAMPLE.read_text(encoding="utf-8").replace('editor = "vi"', 'editor = "nano -w"')
    (tmp_path / "madoguchi.toml").write_text(text, encoding="utf-8")
    loaded = Settings()
    assert loaded.editor == "nano -w"  # read from the file, not a default
    shutil.move(tmp_path / "madoguchi.toml", tmp_path / "kept.toml")
    plain = Settings()
    assert loaded.model_dump(exclude={"editor"}) == plain.model_dump(exclude={"editor"})


def test_every_settings_section_refuses_unknown_keys() -> None:
    sections = [
        info.annotation
        for info in Settings.model_fields.values()
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
    ]
    assert sections and Settings.model_config.get("extra") == "forbid"
    for section in sections:
        assert section.model_config.get("extra") == "forbid", section.__name__
