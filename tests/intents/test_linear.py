from pathlib import Path

import numpy as np

from intents.linear import LinearModel, feature_keys, fit, shape_keys

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
    # the English rows said nothing about "pw", so keys only English rows have carry no weight for it
    english_only = set(feature_keys("i forgot my password").tolist()) - {
        k for text in TEXTS[:6] for k in feature_keys(text).tolist()
    }
    rows = [int(np.searchsorted(model.keys, np.uint64(k))) for k in english_only]
    assert rows and np.all(model.weights[rows, 1] == 0.0)
    assert np.any(model.weights[rows, 0] != 0.0)


def test_shape_keys_tell_thanks_alone_from_thanks_and_a_question():
    thanks = set(shape_keys("ありがとうございました。無事ログインできました"))
    thanks_then_question = set(shape_keys("ありがとうございました。ところで引落日はいつですか"))
    question = set(shape_keys("引落日はいつですか"))
    assert thanks != thanks_then_question
    assert thanks_then_question != question
    # the same shape in English
    assert set(shape_keys("thanks, all sorted")) & thanks
    assert set(shape_keys("thanks, but when is the debit date?")) & thanks_then_question
    assert shape_keys("") == []


def test_model_round_trips_through_its_file(tmp_path: Path):
    model = fit(TEXTS, TARGETS, ["cancel", "pw"], min_df=1, steps=20)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = LinearModel.load(path)
    assert loaded.labels == model.labels
    assert np.allclose(loaded.logits("解約したい"), model.logits("解約したい"), atol=1e-2)


def test_a_topic_in_one_sentence_of_several_stands_out_when_sentences_are_read_alone():
    model = fit(TEXTS, TARGETS, ["cancel", "pw"], min_df=1, steps=150)
    text = "いつもお世話になっております。解約したいです。ほかにも確認したいことがいくつかあり、資料を見ながら社内で相談しています。よろしくお願いいたします。"
    whole = model.probabilities(text)
    by_sentence = model.sentence_probabilities(text)
    assert by_sentence[0] > whole[0]
    assert by_sentence[0] > 0.5
    # one sentence: the same as the whole text
    assert np.allclose(model.sentence_probabilities("解約したいです"), model.probabilities("解約したいです"))
