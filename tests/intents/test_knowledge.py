import shutil
from pathlib import Path

import pytest

from desk.errors import InputError
from faq import FAQ_DIR
from intents.knowledge import load_knowledge
from intents.model import INTENT_IDS


@pytest.fixture
def faq_copy(tmp_path: Path) -> Path:
    target = tmp_path / "faq"
    shutil.copytree(FAQ_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


MINIMAL = """id = "terms"
label = "電気需給約款"
description = "Where to read the terms."
examples = [
  "約款はどこで見られますか",
  "約款の最新版がほしい",
]
"""


def test_packaged_knowledge_covers_every_intent_with_many_examples():
    knowledge = load_knowledge()
    assert set(knowledge.intents) == set(INTENT_IDS)
    for intent in knowledge.intents.values():
        assert len(intent.examples) >= 25, intent.id
        assert intent.label


def test_needs_faq_and_facts_are_available_to_drafting():
    cancellation = load_knowledge().intents["cancellation"]
    assert [n.key for n in cancellation.needs] == ["contract", "desired_date", "reason"]
    assert any(f.source.startswith("seeds/004_46729959fb544535.txt § 10") for f in cancellation.facts)
    assert cancellation.faq and cancellation.faq[0].a


def test_synonyms_from_lexicon_are_normalised_to_their_canonical_term():
    synonyms = load_knowledge().synonyms
    assert synonyms["引落"] == "引き落とし"
    assert synonyms["会員ぺーじ"] == "まいぺーじ"  # katakana folded on both sides


def test_minimal_file_with_plain_string_keyword_loads(faq_copy: Path):
    _write(
        faq_copy / "intents" / "terms.toml", MINIMAL + 'keywords = ["約款", {term = "条文", weight = 2}]\n'
    )
    terms = load_knowledge(faq_copy).intents["terms"]
    assert [(k.term, k.weight) for k in terms.keywords] == [("約款", 1.0), ("条文", 2.0)]


def test_unknown_intent_id_names_file_and_line(faq_copy: Path):
    _write(faq_copy / "intents" / "terms.toml", MINIMAL.replace('id = "terms"', '# note\nid = "tariffs"'))
    with pytest.raises(InputError) as info:
        load_knowledge(faq_copy)
    assert "terms.toml 2行目" in str(info.value)
    assert "tariffs" in str(info.value)


def test_duplicate_example_names_file_and_line_of_the_repeat(faq_copy: Path):
    text = MINIMAL.replace(
        '  "約款の最新版がほしい",\n', '  "約款の最新版がほしい",\n  "約款はどこで見られますか",\n'
    )
    _write(faq_copy / "intents" / "terms.toml", text)
    with pytest.raises(InputError) as info:
        load_knowledge(faq_copy)
    assert "terms.toml 7行目" in str(info.value)
    assert "重複" in str(info.value)


def test_example_already_in_another_intent_is_rejected(faq_copy: Path):
    taken = load_knowledge(faq_copy).intents["cancellation"].examples[0]
    _write(faq_copy / "intents" / "terms.toml", MINIMAL.replace("約款の最新版がほしい", taken))
    with pytest.raises(InputError) as info:
        load_knowledge(faq_copy)
    assert "cancellation.toml" in str(info.value)
    assert "terms.toml 6行目" in str(info.value)


def test_missing_required_field_is_named(faq_copy: Path):
    _write(faq_copy / "intents" / "terms.toml", MINIMAL.replace('label = "電気需給約款"\n', ""))
    with pytest.raises(InputError) as info:
        load_knowledge(faq_copy)
    assert "terms.toml" in str(info.value)
    assert "label" in str(info.value)


def test_toml_syntax_error_names_file_and_line(faq_copy: Path):
    _write(faq_copy / "intents" / "terms.toml", MINIMAL + 'keywords = ["約款"\nnegative = 3\n')
    with pytest.raises(InputError) as info:
        load_knowledge(faq_copy)
    # the array opened on line 8 is found unclosed where line 9 starts; tomllib reports that line
    assert "terms.toml 9行目" in str(info.value)
    assert "TOML" in str(info.value)


def test_missing_intent_file_is_reported(faq_copy: Path):
    (faq_copy / "intents" / "outage.toml").unlink()
    with pytest.raises(InputError) as info:
        load_knowledge(faq_copy)
    assert "outage" in str(info.value)


def test_one_variant_for_two_canonical_terms_is_rejected(faq_copy: Path):
    with (faq_copy / "lexicon.toml").open("a", encoding="utf-8") as handle:
        handle.write('"口座" = ["引落"]\n')
    with pytest.raises(InputError) as info:
        load_knowledge(faq_copy)
    assert "lexicon.toml" in str(info.value)
    assert "引落" in str(info.value)


def test_packaged_knowledge_has_english_examples_and_examples_of_every_other_reason():
    from intents.model import OTHER_REASONS

    knowledge = load_knowledge()
    for intent in knowledge.intents.values():
        assert any(example.isascii() for example in intent.examples), intent.id
    assert set(knowledge.intents["other"].reason_examples) == set(OTHER_REASONS)


def test_an_unknown_other_reason_is_named(faq_copy: Path):
    _write(faq_copy / "intents" / "terms.toml", MINIMAL + '\n[reason_examples]\nspam = ["x"]\n')
    with pytest.raises(InputError) as info:
        load_knowledge(faq_copy)
    assert "terms.toml" in str(info.value)
    assert "spam" in str(info.value)
