"""The one settings object. Built once in the CLI entry point and passed down; nothing else reads the
environment.

Sources, highest priority first: keyword arguments, environment variables (``MADOGUCHI_…``, nested with
``__``, e.g. ``MADOGUCHI_SMTP__HOST``), a ``.env`` file, ``madoguchi.toml`` in the working
directory, then the embedded defaults below.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

if TYPE_CHECKING:
    from desk.business_hours import DeskHours


class DeskSettings(BaseModel):
    """Who the desk is, as written in replies and signatures."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default

    company: str = "エバーグリーン・マーケティング株式会社"
    desk_name: str = "お客さまサポートデスク"
    phone: str = "03-6271-0242"
    fax: str = "03-6271-0241"
    # Further numbers of the desk itself (other lines, a toll-free number). These, ``phone`` and ``fax`` are
    # never taken as a customer's contact number when they appear in a mail (signatures, quoted replies).
    other_phones: list[str] = Field(default_factory=list)
    hours_text: str = "平日 9:00～12:00／13:00～17:00"
    email: str = "support@desk.example.jp"
    portal_url: str = "https://www.egmkt.co.jp/"
    # The same, as English replies and acknowledgements write them.
    company_en: str = "Evergreen Marketing Co., Ltd."
    desk_name_en: str = "Customer Support Desk"
    hours_text_en: str = "Weekdays 9:00–12:00 and 13:00–17:00 JST"
    # Business hours used for SLA arithmetic and the acknowledgement text: (start, end) pairs, local time.
    hours: list[tuple[dt.time, dt.time]] = Field(
        default_factory=lambda: [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))]
    )
    sla_target_business_hours: float = 7.0  # one business day

    def own_phone_digits(self) -> tuple[str, ...]:
        """The desk's own numbers as bare digits (what the entity extractor compares against)."""
        numbers = (self.phone, self.fax, *self.other_phones)
        digits = ("".join(ch for ch in unicodedata.normalize("NFKC", n) if ch.isdigit()) for n in numbers)
        return tuple(d for d in digits if d)


class ClassifierSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default
    threshold: float = 0.5  # below this an intent is not reported; nothing left -> "other"
    max_intents: int = 3


class ImapSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default
    host: str = "127.0.0.1"
    port: int = 993
    security: Literal["ssl", "starttls", "plain"] = "ssl"
    username: str = ""
    password: SecretStr = SecretStr("")
    mailbox: str = "INBOX"
    processed_folder: str = "Processed"
    poll_seconds: float = 30.0
    idle_seconds: float = 25 * 60  # re-issue IDLE before the 29-minute server limit
    max_message_bytes: int = 25 * 1024 * 1024  # checked with RFC822.SIZE before downloading
    max_attachment_bytes: int = 10 * 1024 * 1024  # a larger attachment is flagged for staff
    max_recipients: int = 50  # more To/Cc addresses: flagged as a mass mailing
    # authserv-id of the Authentication-Results header the desk's own receiving server adds (e.g.
    # "mx.desk.example.jp"). Empty: sender authentication is not checked (development default); set it in
    # production so that a From failing DMARC, or without an aligned pass, never proves identity.
    authserv_id: str = ""
    # System addresses the portal's inquiry form mails come from. Only mail from these is read as form mail
    # (the typed address becomes the sender); with none set, a form-shaped mail is plain mail from its From.
    form_senders: list[str] = Field(default_factory=list)


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default
    host: str = "127.0.0.1"
    port: int = 587
    security: Literal["ssl", "starttls", "plain"] = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    charset: Literal["utf-8", "iso-2022-jp"] = "utf-8"
    max_attempts: int = 8
    acknowledge: bool = False  # send an immediate 受付 acknowledgement
    # A sender holds a claimed row this long; a row still "sending" after it lost its sender (a killed
    # process) and goes to staff as "sent or not: check". Keep it well above one SMTP exchange.
    lease_seconds: float = Field(default=180.0, ge=1.0)


class LimitSettings(BaseModel):
    """Abuse limits (desk.limits and the acknowledgement in bot/email/outbox.py); 0 switches one off."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default

    window_minutes: int = 60
    drafts_per_sender: int = 20  # inquiries drafted per sender per window; more are held for staff
    drafts_per_domain: int = 200  # the same per email domain
    acks_per_sender_per_day: int = 3  # 受付 acknowledgements to one address per day
    acks_per_domain_per_day: int = 30  # the same per domain


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default

    # Inquiries received more than this many days ago have their personal data erased (texts, addresses,
    # names, raw mail; counts kept) once a day by `madoguchi serve`. 0: never automatically (the default,
    # so nothing is erased before the business has chosen its period; production sets it, e.g. 1095).
    retention_days: int = 0


class SlackSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default
    mode: Literal["socket", "http"] = "socket"
    bot_token: SecretStr = SecretStr("")
    app_token: SecretStr = SecretStr("")
    signing_secret: SecretStr = SecretStr("")
    api_url: str = "https://slack.com/api/"
    triage_channel: str = ""
    managers_channel: str = ""
    staff_user_ids: list[str] = Field(default_factory=list)
    staff_usergroup: str = ""
    # Managers see reports, the App Home figures and /madoguchi stats; admins also change knowledge files.
    # Ranked: admin ⊇ manager ⊇ staff. None configured: nobody sees figures.
    manager_user_ids: list[str] = Field(default_factory=list)
    manager_usergroup: str = ""
    admin_user_ids: list[str] = Field(default_factory=list)
    admin_usergroup: str = ""
    oncall_usergroup: str = ""
    # Slack Connect channels shared with one customer: channel id -> customer_no.
    intake_channels: dict[str, str] = Field(default_factory=dict)
    digest_weekday: int = 0  # Monday
    digest_time: dt.time = dt.time(9, 0)
    http_port: int = 3000
    # Where the HTTP-mode server listens. Loopback by default: Slack reaches it through the reverse proxy or
    # tunnel that terminates TLS. Set "0.0.0.0" only when this process itself faces the internet.
    http_host: str = "127.0.0.1"
    # What staff writing in a customer's Slack thread mean: "note" (an internal note on the inquiry) or
    # "reply" (the same, and the bot offers to record it as the answer after a confirmation).
    staff_thread_reply: Literal["note", "reply"] = "note"
    # A reminder is posted (to the assignee, in business hours) this many business minutes before an
    # inquiry's reply deadline (desk.sla_target_business_hours after it arrived).
    sla_reminder_minutes: float = 60.0
    # `/madoguchi bulk` offers pending drafts for approval together only when the intent is at least this sure.
    bulk_min_score: float = 0.9


class IncidentSettings(BaseModel):
    """Outage incidents (desk/incidents.py): reports of one grid area this close together, from at least this
    many different customers, are grouped for one approval (``MADOGUCHI_INCIDENTS__WINDOW_MINUTES``)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default

    window_minutes: int = Field(default=30, ge=1, le=24 * 60)
    min_customers: int = Field(default=2, ge=2)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MADOGUCHI_",
        env_nested_delimiter="__",
        env_file=".env",
        # A misspelt key (``databse_url``, ``[slak]``) must stop the process with its name, not leave it
        # quietly running on the defaults.
        extra="forbid",
        toml_file="madoguchi.toml",
    )

    database_url: str = "sqlite:///var/madoguchi.db"
    var_dir: Path = Path("var")
    timezone: str = "Asia/Tokyo"
    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    health_port: int = 8080
    # The editor ``madoguchi review`` opens; the usual Unix variables are honoured.
    editor: str = Field(default="vi", validation_alias=AliasChoices("MADOGUCHI_EDITOR", "VISUAL", "EDITOR"))
    desk: DeskSettings = Field(default_factory=DeskSettings)
    classifier: ClassifierSettings = Field(default_factory=ClassifierSettings)
    imap: ImapSettings = Field(default_factory=ImapSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    incidents: IncidentSettings = Field(default_factory=IncidentSettings)

    def desk_hours(self) -> DeskHours:
        """The desk's opening windows in its time zone, as the business-hours arithmetic takes them."""
        # Imported here: the holiday calendar behind it loads in ~0.2 s, which commands without reports skip.
        from desk.business_hours import DeskHours

        return DeskHours.from_pairs(self.desk.hours, self.timezone)

    @field_validator("editor")
    @classmethod
    def _editor_not_blank(cls, value: str) -> str:
        return value.strip() or "vi"

    @field_validator("database_url")
    @classmethod
    def _postgres_uses_psycopg3(cls, value: str) -> str:
        # "postgresql://" would make SQLAlchemy look for psycopg2, which we do not ship.
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        problem = database_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _OwnDotEnvKeys(settings_cls, dotenv_settings),
            TomlConfigSettingsSource(settings_cls),
            file_secret_settings,
        )


class _OwnDotEnvKeys(PydanticBaseSettingsSource):
    """The ``.env`` file without the variables of other programs sharing it (``PGPASSWORD``, …): only
    ``MADOGUCHI_…`` keys are ours, and a misspelt one of those is still refused by name."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self.inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values = self.inner()
        fields = set(self.settings_cls.model_fields)
        return {k: v for k, v in values.items() if k in fields or k.lower().startswith("madoguchi_")}


SUPPORTED_DATABASES = ("sqlite", "postgresql")


def database_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a store address, in plain words (None when it looks usable)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return (
            "データベースの URL を読み取れません（例: sqlite:///var/madoguchi.db、"
            "postgresql://user@host/db）。"
        )
    if parsed.get_backend_name() not in SUPPORTED_DATABASES:
        return f"データベース「{parsed.get_backend_name()}」には対応していません（sqlite か postgresql）。"
    return None


class SettingsError(Exception):
    """The configuration cannot be used; the message names the offending key in plain words."""


def _describe(error: ErrorDetails) -> str:
    loc = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"不明な設定項目「{loc}」があります（綴りを確認してください） / unknown setting '{loc}'"
    # The message only, never the input: a rejected value may be a password or a token.
    message = error["msg"].removeprefix("Value error, ")
    return f"設定項目「{loc}」の値が不正です: {message}"


# Variables of the same prefix read by the test suite and CI, not by the product.
NOT_SETTINGS = ("MADOGUCHI_TEST_", "MADOGUCHI_REQUIRE_SERVICES")


def unknown_env_keys(environ: Mapping[str, str]) -> list[str]:
    """``MADOGUCHI_…`` variables that name no setting (pydantic-settings skips them silently)."""
    known = {name.upper() for name in Settings.model_fields}
    unknown = []
    for key in environ:
        if not key.upper().startswith("MADOGUCHI_") or key.upper().startswith(NOT_SETTINGS):
            continue
        top = key[len("MADOGUCHI_") :].split("__", 1)[0].upper()
        if top not in known:
            unknown.append(key)
    return sorted(unknown)


def load_settings_checked(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from every source, or :class:`SettingsError` naming each unknown or invalid key."""
    env = os.environ if environ is None else environ  # noqa: TID251 - the one place that reads it
    problems = [
        f"不明な環境変数「{key}」があります（綴りを確認してください） / unknown setting '{key}'"
        for key in unknown_env_keys(env)
    ]
    try:
        settings = Settings()
    except ValidationError as exc:
        problems += [_describe(error) for error in exc.errors()]
        settings = None
    if problems or settings is None:
        raise SettingsError("\n".join(problems))
    return settings
