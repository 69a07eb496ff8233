"""Every .eml in corpus/ parses to its hand-written expectation (corpus/build.py writes both)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.email.parse import ParseOptions, parse_email

CORPUS = Path(__file__).with_name("corpus")
FILES = sorted(CORPUS.glob("*.eml"))
OPTIONS = ParseOptions(desk_address="support@desk.example.jp", form_senders=("form@portal.egmkt.co.jp",))


def test_corpus_has_at_least_thirty_cases() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus_file_parses_as_expected(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    got = parse_email(path.read_bytes(), options=OPTIONS).to_json(path.name)
    for key, value in expected.items():
        if key == "text" and value is None:
            continue
        actual = got[key]
        if key == "form" and value is not None and actual is not None:
            actual = {k: actual.get(k) for k in value}
        assert actual == value, key
