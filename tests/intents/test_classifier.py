import numpy as np
import pytest

from intents.classifier import (
    FEATURES,
    Calibration,
    Classifier,
    LabelledExample,
    fit_calibration,
    other_reason,
)
from intents.model import INTENT_IDS


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


def ids(result) -> list[str]:
    return [s.intent for s in result]


def test_single_clear_intent_is_first(classifier: Classifier):
    result = classifier.classify(
        "来月末で倉庫を閉めるので、電気の契約を解約したいです。違約金はかかりますか。"
    )
    assert ids(result)[0] == "cancellation"


def test_message_with_two_requests_returns_both(classifier: Classifier):
    text = "社名が4月1日付で変わるので名義変更の手続きを教えてください。\nあわせて請求書の宛名も新しい社名に変えてください。"
    assert set(ids(classifier.classify(text))) >= {"name_change", "billing_address_change"}


def test_nonsense_is_other(classifier: Classifier):
    assert ids(classifier.classify("あしたの天気はどうでしょうね。")) == ["other"]


def test_empty_message_is_other(classifier: Classifier):
    assert ids(classifier.classify("")) == ["other"]


def test_form_category_hint_does_not_override_a_clear_body(classifier: Classifier):
    text = "工場の周波数が50Hzか60Hzか確認させてください。"
    result = classifier.classify(text, channel="form", form_category="ご請求について")
    assert ids(result) == ["voltage_frequency"]


def test_form_category_hint_raises_the_named_intent_a_little(classifier: Classifier):
    text = "よろしくお願いします。確認したいことがあります。"
    plain = classifier.probabilities(classifier.features(text))
    hinted = classifier.probabilities(classifier.features(text, form_category="お支払いについて"))
    i = classifier.intent_ids.index("payment_method")
    assert hinted[i] > plain[i]


def test_scores_are_in_unit_interval_sorted_and_at_most_max_intents(classifier: Classifier):
    text = "パスワードを忘れました。ログインIDも分かりません。請求書のPDFもダウンロードしたいです。"
    result = classifier.classify(text)
    scores = [s.score for s in result]
    assert 1 <= len(result) <= 3
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)


def test_everyday_words_reach_the_canonical_intent_through_synonyms(classifier: Classifier):
    # 「引落」「口座振替」 are lexicon variants of 引き落とし; 「トランス」 of 変圧器
    assert ids(classifier.classify("口座振替の口座を別の銀行に変更したいです"))[0] == "payment_method"
    assert ids(classifier.classify("トランスを一台増やす工事を考えています"))[0] == "equipment_work"


def test_higher_threshold_reports_fewer_intents():
    strict = Classifier.load(threshold=0.99)
    loose = Classifier.load(threshold=0.05)
    text = "停電で工場が3日止まっていましたが、今月の請求額はどうなりますか"
    assert len(loose.classify(text)) > len(strict.classify(text))


def test_threshold_outside_unit_interval_is_refused():
    with pytest.raises(ValueError):
        Classifier.load(threshold=1.5)


def test_every_intent_has_a_feature_row(classifier: Classifier):
    assert classifier.features("テスト").shape == (len(INTENT_IDS), len(FEATURES))


def test_fitted_calibration_separates_the_training_labels(classifier: Classifier):
    examples = [
        LabelledExample("電気の契約を解約したいです", "", ("cancellation",)),
        LabelledExample("パスワードを忘れました", "", ("password_reset",)),
        LabelledExample("周波数は何ヘルツですか", "", ("voltage_frequency",)),
        LabelledExample("先日はありがとうございました", "", ("other",)),
    ]
    calibration = fit_calibration(classifier, examples)
    fitted = Classifier(classifier.knowledge, calibration, threshold=0.5, max_intents=3)
    for example in examples:
        probs = fitted.probabilities(fitted.features(example.text))
        assert fitted.intent_ids[int(probs.argmax())] == example.labels[0]


def test_calibration_round_trips_through_its_file(tmp_path):
    calibration = Calibration(
        weights=(1.0, 2.0, 3.0, 4.0, 0.3, 6.0, 7.0, 8.0, 1.5),
        bias=-2.5,
        fitted_on="x.jsonl",
        primary_threshold=0.35,
    )
    path = tmp_path / "calibration.toml"
    path.write_text(calibration.dump(), encoding="utf-8")
    assert Calibration.load(path) == calibration


def test_a_calibration_without_the_linear_weights_gives_them_none(tmp_path):
    old = "bias = -1.0\n[weights]\n" + "".join(f"{n} = 1.0\n" for n in FEATURES[:6])
    path = tmp_path / "calibration.toml"
    path.write_text(old + "fz = 2.0\n", encoding="utf-8")  # a retired feature is ignored
    assert Calibration.load(path).weights == (1.0,) * 6 + (0.0,) * (len(FEATURES) - 6)
    assert Calibration.load(path).primary_threshold is None


def test_below_the_threshold_the_best_procedure_is_reported_only_above_the_abstention_line(
    classifier: Classifier,
):
    import dataclasses

    probs = np.full(len(classifier.intent_ids), 0.01)
    probs[classifier.intent_ids.index("cancellation")] = 0.4
    abstaining = Classifier(classifier.knowledge, classifier.calibration, threshold=0.5, max_intents=3)
    abstaining.calibration = dataclasses.replace(classifier.calibration, primary_threshold=None)
    assert [s.intent for s in abstaining.decide(probs)] == ["other"]
    abstaining.calibration = dataclasses.replace(classifier.calibration, primary_threshold=0.3)
    assert [s.intent for s in abstaining.decide(probs)] == ["cancellation"]
    abstaining.calibration = dataclasses.replace(classifier.calibration, primary_threshold=0.45)
    assert [s.intent for s in abstaining.decide(probs)] == ["other"]
    # "other" itself more likely than the best procedure: still other
    probs[classifier.intent_ids.index("other")] = 0.45
    abstaining.calibration = dataclasses.replace(classifier.calibration, primary_threshold=0.3)
    assert [s.intent for s in abstaining.decide(probs)] == ["other"]


def test_a_sure_other_names_its_likeliest_reason_even_when_that_reason_is_weak():
    weak = {"misdirected": 0.12, "out_of_scope": 0.05, "sales": 0.01, "unclear": 0.02}
    assert other_reason(0.9, weak, threshold=0.5) == "misdirected"


def test_an_unsure_other_is_unclear_whatever_the_reasons_say():
    assert other_reason(0.3, {"thanks": 0.9, "unclear": 0.01}, threshold=0.5) == "unclear"
    assert other_reason(0.9, {}, threshold=0.5) == "unclear"
