"""What understanding a message produces; the shape the pipeline and the CLI share."""

from __future__ import annotations

from dataclasses import dataclass, field

INTENT_IDS: tuple[str, ...] = (
    "mypage_login",
    "password_reset",
    "account_info_change",
    "usage_data",
    "bill_inquiry",
    "invoice_download",
    "billing_address_change",
    "payment_method",
    "payment_due_date",
    "consolidated_billing",
    "fee_calculation",
    "voltage_frequency",
    "name_change",
    "pas_open",
    "equipment_work",
    "contract_power",
    "usage_change",
    "cancellation",
    "terms",
    "outage",
    "other",
)

# Why an ``other`` message is not an inquiry about a procedure; each has its own staff handling
# (desk/noninquiry.py). ``out_of_scope`` is a genuine request no procedure covers (a receipt, a certificate, a
# quote for a new site): a person answers it.
OTHER_REASONS: tuple[str, ...] = (
    "sales",
    "phishing",
    "thanks",
    "complaint",
    "misdirected",
    "out_of_scope",
    "unclear",
)
LANGUAGES: tuple[str, ...] = ("ja", "en")

ENTITY_KEYS: tuple[str, ...] = (
    "customer_no",
    "contract_no",
    "supply_point_id",
    "phone",
    "email",
    "date",
    "cancel_reason",
)


@dataclass(frozen=True, slots=True)
class IntentScore:
    intent: str
    score: float  # calibrated in [0, 1]


@dataclass(frozen=True, slots=True)
class Question:
    """One thing the customer asks, beyond the intent (``intents.questions.QUESTION_KINDS``): a yes/no on a
    date, an amount, a comparison of two sites, a re-check, a callback. ``value`` is what the question names
    (the day asked about, the excess in kW), empty when it names nothing."""

    kind: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Understanding:
    """Intents sorted by score (at least one; ``other`` when nothing clears the threshold), the entities
    found (keys from ``ENTITY_KEYS``, values normalised: digits only, ``EG`` + 8 digits, ISO dates,
    ``switch|removal|other``), and the cleaned body the classifier read (quotes, greeting, signature gone).

    ``language`` is ``ja`` or ``en`` (what the reply should be written in); ``other_reason`` (one of
    ``OTHER_REASONS``) says why the primary intent is ``other`` and is None otherwise; ``candidates`` are the
    best procedure intents kept when the classifier abstained (primary ``other``, reason ``unclear``), so staff
    see what it hesitated between."""

    intents: tuple[IntentScore, ...]
    entities: dict[str, str] = field(default_factory=dict)
    body: str = ""
    language: str = "ja"  # "ja" | "en": the language the reply is drafted in
    # What exactly is asked, and what the customer already said (``intents.questions``): the metering day,
    # a notice already sent and its date, "only the name changes", the situation (follow-up, complaint),
    # the signer. Keys of ``said`` are ``intents.questions.SAID_KEYS``.
    questions: tuple[Question, ...] = ()
    said: dict[str, str] = field(default_factory=dict)
    other_reason: str | None = None
    candidates: tuple[IntentScore, ...] = ()

    @property
    def intent_ids(self) -> list[str]:
        return [i.intent for i in self.intents]

    @property
    def primary(self) -> str:
        return self.intents[0].intent if self.intents else "other"
