"""The cancellation-reason model: used only where the rules of faq/entities.toml name nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from desk.errors import InputError
from intents.entities import extract_entities
from intents.reason_model import LABELS, load_reason_model, model_line, model_reason
from intents.understand import read_entities

RECEIVED = date(2026, 6, 1)
# No rule word for a closing here (運用を終える), but the model has seen facilities retired this way.
RETIRED = (
    "旧倉庫は新しい物流センターの稼働に合わせて運用を終えます。"
    "つきましては旧倉庫の電気の契約を3月末日付で解約したく、書類をお送りください。"
)


def test_the_shipped_model_loads_with_its_four_labels():
    model = load_reason_model()
    assert model is not None
    assert set(model.labels) == set(LABELS)
    assert 0.0 < model_line() <= 1.0


def test_the_model_names_a_reason_the_rules_do_not_know():
    assert extract_entities(RETIRED, received=RECEIVED, intents=["cancellation"]).get("cancel_reason") is None
    assert read_entities(RETIRED, received=RECEIVED, intents=["cancellation"])["cancel_reason"] == "removal"


def test_the_model_stays_silent_when_no_reason_is_given():
    text = "来月末で解約します。違約金の額を教えてください。"
    assert model_reason(text) is None
    assert "cancel_reason" not in read_entities(text, received=RECEIVED, intents=["cancellation"])


def test_a_rule_wins_over_the_model():
    # the rules say switch (another retailer); the model is never asked
    text = "他社の方が安いので、旧倉庫の運用を終える3月末で解約します。"
    assert read_entities(text, received=RECEIVED, intents=["cancellation"])["cancel_reason"] == "switch"


def test_only_cancellations_get_a_reason():
    assert "cancel_reason" not in read_entities(RETIRED, received=RECEIVED, intents=["usage_change"])


def test_a_line_above_the_models_certainty_silences_it():
    assert model_reason(RETIRED, line=1.0) is None


def test_a_broken_model_file_is_refused_with_its_name(tmp_path: Path):
    broken = tmp_path / "reason_model.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(InputError, match=r"reason_model\.npz"):
        load_reason_model(broken)


def test_a_missing_model_file_means_rules_only(tmp_path: Path):
    assert load_reason_model(tmp_path / "absent.npz") is None
