"""The cancellation reason when no rule of ``faq/entities.toml`` names one: a small linear model.

The rules are precise but each new writer brings wordings they have never seen (held out by writer, rules written
on the corpus read unseen writers' reasons at 0.92–0.95). A linear n-gram model (:mod:`intents.linear`) fitted on
the corpus' labelled cancellations generalises differently: alone it reads held-out writers at 0.93. Used only
where the rules found nothing, and only when it is sure (``[cancel_reason_options] model_line``), it raised the
reason F1 on four writers nobody had read from 0.946 to 0.957 while costing 0.002 where the rules already know
the wording (the line is chosen held out by writer: ``benchmarks/reason_model.py``).

The fitted model is data, like the intent model: ``faq/reason_model.npz`` (labels switch, removal, other, none),
written by ``benchmarks/cross_style.py --write-model``. Missing file: no fallback, the rules alone decide.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from desk.errors import InputError
from faq import FAQ_DIR
from intents.entities import ENTITY_RULES_FILE, rules_file
from intents.linear import LinearModel
from intents.normalize import normalize

REASON_MODEL_FILE = FAQ_DIR / "reason_model.npz"
LABELS: tuple[str, ...] = ("switch", "removal", "other", "none")
DEFAULT_LINE = 0.8


@lru_cache(maxsize=4)
def load_reason_model(path: Path = REASON_MODEL_FILE) -> LinearModel | None:
    """The fitted model, or None when the file does not exist; a broken file is an :class:`InputError`."""
    if not path.exists():
        return None
    model = LinearModel.load(path)
    if set(model.labels) != set(LABELS):
        raise InputError(f"{path.name}: 解約理由モデルのラベルが違います（{', '.join(model.labels)}）")
    return model


@lru_cache(maxsize=4)
def model_line(path: Path = ENTITY_RULES_FILE) -> float:
    """``[cancel_reason_options] model_line``: how sure the model must be to name a reason."""
    options = rules_file(path).get("cancel_reason_options", {})
    line = options.get("model_line", DEFAULT_LINE)
    if not isinstance(line, (int, float)) or not 0.0 < float(line) <= 1.0:
        raise InputError(
            f"{path.name}: cancel_reason_options.model_line は0より大きく1以下の数です（{line!r}）"
        )
    return float(line)


def model_reason(body: str, model: LinearModel | None = None, line: float | None = None) -> str | None:
    """The reason the model gives the cleaned ``body`` of a cancellation, or None (not sure, or "none")."""
    model = model if model is not None else load_reason_model()
    if model is None or not body.strip():
        return None
    probs = model.probabilities(normalize(body))
    best = int(np.argmax(probs))
    label = model.labels[best]
    if label == "none" or probs[best] < (line if line is not None else model_line()):
        return None
    return label


def fit_reason_model(bodies: list[str], reasons: list[str | None]) -> LinearModel:
    """Fit the model on cleaned cancellation bodies and their labelled reasons (None: no reason given)."""
    from intents import linear

    return linear.fit(
        [normalize(b) for b in bodies], [[r or "none"] for r in reasons], LABELS, steps=300, l2=1e-5
    )
