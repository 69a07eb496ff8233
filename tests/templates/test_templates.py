"""Every template renders with the facts its resolver provides, verified or not, and fails loudly when a
fact is missing (StrictUndefined)."""

from __future__ import annotations

import jinja2
import pytest

from desk.render import environment, render
from desk.resolvers import resolve
from intents.model import INTENT_IDS
from templates import TEMPLATES_DIR
from tests.desk.resolvers.cases import DESK, case, knowledge


def test_there_is_one_template_per_intent() -> None:
    names = {p.stem for p in (TEMPLATES_DIR / "intents").glob("*.j2")}
    assert names == set(INTENT_IDS)


def test_there_is_one_english_template_per_intent() -> None:
    names = {p.stem for p in (TEMPLATES_DIR / "en" / "intents").glob("*.j2")}
    assert names == set(INTENT_IDS)


@pytest.mark.parametrize("intent", INTENT_IDS)
@pytest.mark.parametrize("verified", [True, False])
@pytest.mark.parametrize("prefix", ["", "en/"], ids=["ja", "en"])
def test_intent_template_renders_from_resolver_facts(intent: str, verified: bool, prefix: str) -> None:
    c = case(intent, verified=verified, entities={"date": "2026-09-30"})
    r = resolve(intent, c, knowledge())
    text = render(
        f"{prefix}intents/{intent}.j2",
        f=r.facts,
        c=r.contract,
        k=None,
        desk=DESK,
        verified=verified,
        today=c.today,
        channel="email",
    )
    assert text.strip()


@pytest.mark.parametrize("intent", ["cancellation", "bill_inquiry", "payment_due_date", "contract_power"])
@pytest.mark.parametrize("prefix", ["", "en/"], ids=["ja", "en"])
def test_template_fails_loudly_when_a_contract_fact_is_missing(intent: str, prefix: str) -> None:
    r = resolve(intent, case(intent, entities={"date": "2027-03-31"}), knowledge())
    assert r.contract is not None
    broken = {k: v for k, v in r.contract.items() if k != "contract_no"}
    with pytest.raises(jinja2.UndefinedError):
        render(
            f"{prefix}intents/{intent}.j2",
            f=r.facts,
            c=broken,
            k=None,
            desk=DESK,
            verified=True,
            today=None,
            channel="",
        )


def test_every_template_parses() -> None:
    env = environment()
    for path in TEMPLATES_DIR.rglob("*.j2"):
        env.parse(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("layout", ["layout.j2", "en/layout.j2"])
def test_layout_requires_the_desk_signature_fields(layout: str) -> None:
    with pytest.raises(jinja2.UndefinedError):
        render(
            layout,
            dear="",
            addressee=[],
            sections=[],
            missing=[],
            ask_identity=False,
            identity_pending=False,
            unknown_ids=[],
            urgent=False,
            desk={"company": "X"},
            channel="email",
        )
