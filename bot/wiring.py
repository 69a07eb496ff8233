"""Builds the core objects from settings; the one place adapters get a pipeline from."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from bot.settings import Settings
from desk.drafting import DeskInfo
from desk.incidents import IncidentRules
from desk.limits import Limits
from desk.pipeline import Pipeline


def desk_info(settings: Settings) -> DeskInfo:
    d = settings.desk
    return DeskInfo(
        company=d.company,
        desk_name=d.desk_name,
        phone=d.phone,
        fax=d.fax,
        hours_text=d.hours_text,
        email=d.email,
        portal_url=d.portal_url,
        company_en=d.company_en,
        desk_name_en=d.desk_name_en,
        hours_text_en=d.hours_text_en,
    )


def build_pipeline(settings: Settings, engine: Engine) -> Pipeline:
    """A pipeline whose classifier threshold and time zone come from settings (knowledge loads lazily)."""
    from intents.entities import set_desk_phones
    from intents.understand import Understander

    set_desk_phones(settings.desk.own_phone_digits())
    understander = Understander.load(
        threshold=settings.classifier.threshold, max_intents=settings.classifier.max_intents
    )
    lim = settings.limits
    limits = Limits(
        window=dt.timedelta(minutes=lim.window_minutes),
        per_sender=lim.drafts_per_sender,
        per_domain=lim.drafts_per_domain,
    )
    return Pipeline(
        engine=engine,
        desk=desk_info(settings),
        understander=understander,
        tz=settings.timezone,
        limits=limits,
        incident_rules=incident_rules(settings),
    )


def incident_rules(settings: Settings) -> IncidentRules:
    """How outage reports are grouped into incidents (``[incidents]`` in madoguchi.toml)."""
    return IncidentRules(
        window=dt.timedelta(minutes=settings.incidents.window_minutes),
        min_customers=settings.incidents.min_customers,
    )
