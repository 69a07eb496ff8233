"""What ``/metrics`` reports (Prometheus text format), beside ``/healthz``.

Two kinds of measures:

- events this process saw, counted as they happen: messages received by channel and kind, drafts by intent,
  pipeline latency, IMAP reconnects (they reset when the process restarts, as Prometheus counters may);
- the desk's state read from the store at each scrape: the queue waiting for staff (depth and oldest
  waiting age), outbox rows waiting, staff actions (approvals, edits, re-routes, rejections) and sends and
  failures. These are the store's own totals, so every worker reports the same values: aggregate them
  with ``max`` across workers, never ``sum``.

Each scrape runs a handful of indexed statements (the open-inquiry partial index, the audit-event and outbox
status indexes). No label carries an address, a name or any text of a message.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from desk.message import IncomingMessage
from store.models import AuditEvent, Inquiry, InquiryKind, InquiryStatus, Outbox, OutboxStatus

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPEN_STATUSES = (InquiryStatus.RECEIVED.value, InquiryStatus.DRAFTED.value, InquiryStatus.FAILED.value)
STAFF_ACTIONS = ("approved", "edited", "rerouted", "rejected")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class StoreCollector(Collector):
    """The desk's state, read from the store at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._collect()
        except Exception as exc:  # a scrape must still answer (with the process's own measures)
            log.warning("metrics: store unavailable (%s)", type(exc).__name__)
            up = GaugeMetricFamily("madoguchi_store_up", "Whether the store answered the last scrape.")
            up.add_metric([], 0)
            yield up

    def _collect(self) -> Iterator[Metric]:
        now = dt.datetime.now(dt.UTC)
        with self.engine.connect() as conn:
            open_rows = conn.execute(
                select(Inquiry.status, func.count(), func.min(Inquiry.received_at))  # type: ignore[call-overload]
                .where(col(Inquiry.kind) == InquiryKind.INQUIRY.value, col(Inquiry.status).in_(OPEN_STATUSES))
                .group_by(Inquiry.status)
            ).all()
            actions = conn.execute(
                select(AuditEvent.action, func.count())  # type: ignore[call-overload]
                .where(col(AuditEvent.action).in_(STAFF_ACTIONS))
                .group_by(AuditEvent.action)
            ).all()
            outbox = conn.execute(
                select(Outbox.channel, Outbox.status, func.count()).group_by(Outbox.channel, Outbox.status)  # type: ignore[call-overload]
            ).all()
        up = GaugeMetricFamily("madoguchi_store_up", "Whether the store answered the last scrape.")
        up.add_metric([], 1)
        yield up

        depth = GaugeMetricFamily(
            "madoguchi_queue_depth",
            "Inquiries waiting for staff, by status (received: not drafted yet; drafted: a draft waits; "
            "failed: the pipeline could not draft it).",
            labels=["status"],
        )
        counts = {status: (count, oldest) for status, count, oldest in open_rows}
        oldest_all = None
        for status in OPEN_STATUSES:
            count, oldest = counts.get(status, (0, None))
            depth.add_metric([status], count)
            if oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
                oldest_all = oldest if oldest_all is None else min(oldest_all, oldest)
        yield depth
        age = GaugeMetricFamily(
            "madoguchi_queue_oldest_age_seconds", "How long the oldest inquiry waiting for staff has waited."
        )
        age.add_metric([], max(0.0, (now - oldest_all).total_seconds()) if oldest_all else 0.0)
        yield age

        staff = CounterMetricFamily(
            "madoguchi_staff_actions",
            "Staff actions on drafts recorded in the store (approved, edited, rerouted, rejected).",
            labels=["action"],
        )
        done = dict(actions)
        for action in STAFF_ACTIONS:
            staff.add_metric([action], done.get(action, 0))
        yield staff

        sends = CounterMetricFamily(
            "madoguchi_sends",
            "Replies sent and given up, by channel (from the outbox).",
            labels=["channel", "result"],
        )
        waiting = GaugeMetricFamily(
            "madoguchi_outbox_waiting", "Outbox rows not sent yet (queued or being sent).", labels=["channel"]
        )
        per_channel: dict[str, dict[str, int]] = {}
        for channel, status, count in outbox:
            per_channel.setdefault(channel, {})[status] = count
        for channel in sorted(per_channel | {"email": {}, "slack": {}}):
            rows = per_channel.get(channel, {})
            sends.add_metric([channel, "sent"], rows.get(OutboxStatus.SENT.value, 0))
            sends.add_metric([channel, "failed"], rows.get(OutboxStatus.FAILED.value, 0))
            waiting.add_metric(
                [channel], rows.get(OutboxStatus.QUEUED.value, 0) + rows.get(OutboxStatus.SENDING.value, 0)
            )
        yield sends
        yield waiting


class Metrics:
    """One registry per process (tests build several, so nothing is registered globally)."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.registry = CollectorRegistry()
        self.received = Counter(
            "madoguchi_messages_received",
            "Messages handed to the pipeline by this process, by channel and kind (inquiry, auto_reply, …); "
            "duplicates (already stored) are counted under kind=duplicate.",
            ["channel", "kind"],
            registry=self.registry,
        )
        self.drafts = Counter(
            "madoguchi_drafts",
            "Drafts written by this process, by main intent.",
            ["intent"],
            registry=self.registry,
        )
        self.pipeline_errors = Counter(
            "madoguchi_pipeline_errors", "Messages whose processing raised.", registry=self.registry
        )
        self.latency = Histogram(
            "madoguchi_pipeline_seconds",
            "Time from handing a message to the pipeline to its draft being stored.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.imap_reconnects = Counter(
            "madoguchi_imap_reconnects",
            "IMAP connections lost or refused, each followed by a reconnect.",
            registry=self.registry,
        )
        if engine is not None:
            self.registry.register(StoreCollector(engine))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def instrument(
        self, process: Callable[[IncomingMessage], Awaitable[Any]], intent_of: Callable[[int], str | None]
    ) -> Callable[[IncomingMessage], Awaitable[Any]]:
        """Wrap the pipeline's ``process`` so every channel (email, Slack, backlog) is measured once."""

        async def measured(message: IncomingMessage) -> Any:
            started = time.perf_counter()
            try:
                result = await process(message)
            except Exception:
                self.pipeline_errors.inc()
                raise
            self.latency.observe(time.perf_counter() - started)
            channel = str(getattr(message.channel, "value", message.channel))
            if not getattr(result, "created", True):
                self.received.labels(channel, "duplicate").inc()
                return result
            self.received.labels(channel, str(getattr(result, "kind", "inquiry"))).inc()
            draft_id = getattr(result, "draft_id", None)
            if draft_id is not None:
                self.drafts.labels(intent_of(result.inquiry_id) or "other").inc()
            return result

        return measured


def intent_lookup(engine: Engine) -> Callable[[int], str | None]:
    """The main intent of an inquiry (one primary-key read; labels stay the taxonomy's ids)."""

    def intent_of(inquiry_id: int) -> str | None:
        with engine.connect() as conn:
            query = select(col(Inquiry.primary_intent)).where(col(Inquiry.id) == inquiry_id)
            value = conn.execute(query).scalar()
        return str(value) if value is not None else None

    return intent_of
