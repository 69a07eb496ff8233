from pathlib import Path

import numpy as np

from intents.linear import LinearModel, feature_keys, fit

TEXTS = [
    "解約したいです",
    "契約を解約する手続き",
    "解約の違約金はいくら",
    "パスワードを忘れました",
    "パスワードの再設定",
    "パスワードが分からない",
    "we want to cancel the contract",
    "i forgot my password",
]
TARGETS = [["cancel"], ["cancel"], ["cancel"], ["pw"], ["pw"], ["pw"], ["cancel"], ["pw"]]


def test_feature_keys_are_sorted_distinct_and_include_english_words():
    keys = feature_keys("cancel the contract")
    assert list(keys) == sorted(set(keys.tolist()))
    assert len(feature_keys("cancel")) < len(feature_keys("cancel the contract"))
    assert len(feature_keys("")) == 0


def test_fitted_model_separates_the_training_labels_and_reads_new_wording():
    model = fit(TEXTS, TARGETS, ["cancel", "pw"], min_df=1, steps=150)
    assert model.probabilities("解約を考えています").argmax() == 0
    assert model.probabilities("パスワードを再発行したい").argmax() == 1
    assert model.probabilities("please cancel our contract").argmax() == 0


def test_rows_teach_only_the_labels_they_know():
    known = [["cancel", "pw"]] * 6 + [["cancel"], ["cancel"]]
    model = fit(TEXTS, TARGETS, ["cancel", "pw"], known=known, min_df=1, steps=150)
    # the English rows said nothing about "pw", so English words carry no weight for it
    assert abs(model.logits("i forgot my password")[1] - model.bias[1]) < 1e-6


def test_model_round_trips_through_its_file(tmp_path: Path):
    model = fit(TEXTS, TARGETS, ["cancel", "pw"], min_df=1, steps=20)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = LinearModel.load(path)
    assert loaded.labels == model.labels
    assert np.allclose(loaded.logits("解約したい"), model.logits("解約したい"), atol=1e-2)
