"""/metrics, /healthz while IMAP reconnects, and JSON logs without addresses, bodies or secrets — against a
real ``serve`` process, a real Dovecot and the real store."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import Engine

from bot.logs import JsonFormatter, RedactingFilter, redact
from bot.metrics import Metrics
from desk.message import Channel, IncomingMessage, SenderKind
from store.db import make_engine, migrate
from store.models import AuditEvent, Inquiry, Outbox
from tests.bot.email.helpers import append, plain_mail
from tests.bot.test_runtime import free_port, get_health
from tests.services.dovecot import Dovecot


def _sample(text: str, name: str, labels: dict[str, str] | None = None) -> float | None:
    """The value of one sample in Prometheus text format."""
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in (labels or {}).items()) + "}" if labels else "")
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key == wanted:
            return float(value)
    return None


async def _metrics(session: aiohttp.ClientSession, port: int) -> str:
    async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return await response.text()


async def test_a_full_run_is_measured_and_logged_as_json_without_personal_data(
    imap_server: Dovecot, tmp_path: Path
) -> None:
    health_port = free_port()
    secret = "imap-pass-0123"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")},
        "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "MADOGUCHI_HEALTH_PORT": str(health_port),
        "MADOGUCHI_IMAP__HOST": imap_server.host,
        "MADOGUCHI_IMAP__PORT": str(imap_server.port),
        "MADOGUCHI_IMAP__SECURITY": "plain",
        "MADOGUCHI_IMAP__USERNAME": imap_server.user,
        "MADOGUCHI_IMAP__PASSWORD": imap_server.password,
        "MADOGUCHI_SMTP__HOST": "",
        "MADOGUCHI_LOG_LEVEL": "DEBUG",
    }
    append(imap_server, plain_mail(1), plain_mail(2, sender="suzuki@example.com"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli.main", "serve", "--log-format", "json",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    # Read the log as it comes: at DEBUG a full pipe buffer would block the process.
    chunks: list[bytes] = []

    async def drain() -> None:
        assert process.stderr is not None
        while chunk := await process.stderr.read(65536):
            chunks.append(chunk)

    reader = asyncio.create_task(drain())
    try:
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(120):
                while True:
                    assert process.returncode is None
                    await asyncio.sleep(0.3)
                    if await get_health(session, health_port) is None:
                        continue
                    text = await _metrics(session, health_port)
                    if (
                        _sample(
                            text, "madoguchi_messages_received_total", {"channel": "email", "kind": "inquiry"}
                        )
                        == 2
                    ):
                        break
            assert _sample(text, "madoguchi_queue_depth", {"status": "drafted"}) == 2
            assert (_sample(text, "madoguchi_queue_oldest_age_seconds") or 0) > 0
            assert _sample(text, "madoguchi_drafts_total", {"intent": "mypage_login"}) == 2
            assert _sample(text, "madoguchi_pipeline_seconds_count") == 2
            assert _sample(text, "madoguchi_imap_reconnects_total") == 0
            assert _sample(text, "madoguchi_store_up") == 1
            status, body = await get_health(session, health_port)  # type: ignore[misc]
            assert status == 200 and body["components"]["email_intake"]["state"] == "running"

            # The server goes away: intake loops reconnecting, and /healthz says so with the last error.
            imap_server.stop()
            async with asyncio.timeout(60):
                while True:
                    await asyncio.sleep(0.3)
                    status, body = await get_health(session, health_port)  # type: ignore[misc]
                    intake = body["components"]["email_intake"]
                    # the lost connection first, then the refused reconnects
                    if intake["state"] == "reconnecting" and "ConnectionRefused" in intake["detail"]:
                        break
            assert status == 503 and body["status"] == "degraded"
            text = await _metrics(session, health_port)
            assert (_sample(text, "madoguchi_imap_reconnects_total") or 0) >= 1

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            code = await process.wait()
            await reader
        stderr = b"".join(chunks).decode()
        assert code == 0, stderr[-3000:]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await reader
    lines = [line for line in stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(r["message"] == "madoguchi stopped" for r in records)
    assert {"time", "level", "logger", "message"} <= set(records[0])
    for forbidden in (
        "yamada@example.com",
        "suzuki@example.com",
        imap_server.user,
        "マイページにログインできません",
        secret,
    ):
        assert forbidden not in stderr
    assert imap_server.password not in [r["message"] for r in records]


def test_the_log_filter_masks_addresses_and_tokens_even_in_tracebacks() -> None:
    assert redact("from yamada@example.com with xoxb-123-abc and Bearer abc.def") == (
        "from <address> with <token> and Bearer <token>"
    )
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "send to %s failed", ("k.tanaka@a.example.jp",), None
    )
    try:
        raise ValueError("refused: xapp-1-AAAA for k.tanaka@a.example.jp")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "send to <address> failed"
    assert "k.tanaka" not in line and "xapp-1" not in line and "<token>" in entry["exception"]


async def test_store_measures_count_the_queue_the_staff_actions_and_the_sends(engine: Engine) -> None:
    from sqlmodel import Session

    now = dt.datetime.now(dt.UTC)
    with Session(engine) as session:
        waiting = Inquiry(
            channel="email", external_id="<a>", status="drafted", received_at=now - dt.timedelta(hours=2)
        )
        answered = Inquiry(channel="email", external_id="<b>", status="answered", received_at=now)
        bounce = Inquiry(
            channel="email", external_id="<c>", kind="bounce", status="received", received_at=now
        )
        session.add_all([waiting, answered, bounce])
        session.flush()
        session.add_all(
            [
                AuditEvent(inquiry_id=answered.id, actor="slack:U1", action="approved"),
                AuditEvent(inquiry_id=answered.id, actor="slack:U1", action="edited"),
                AuditEvent(inquiry_id=answered.id, actor="slack:U1", action="edited"),
                Outbox(
                    dedupe_key="r1",
                    inquiry_id=answered.id,
                    channel="email",
                    recipient="x@y.jp",
                    status="sent",
                ),
                Outbox(
                    dedupe_key="r2",
                    inquiry_id=answered.id,
                    channel="email",
                    recipient="x@y.jp",
                    status="failed",
                ),
                Outbox(
                    dedupe_key="r3", inquiry_id=answered.id, channel="slack", recipient="C1", status="queued"
                ),
            ]
        )
        session.commit()
    text = Metrics(engine).render().decode()
    assert _sample(text, "madoguchi_queue_depth", {"status": "drafted"}) == 1
    assert _sample(text, "madoguchi_queue_depth", {"status": "received"}) == 0  # a bounce is no inquiry
    assert 7100 < (_sample(text, "madoguchi_queue_oldest_age_seconds") or 0) < 7300
    assert _sample(text, "madoguchi_staff_actions_total", {"action": "edited"}) == 2
    assert _sample(text, "madoguchi_staff_actions_total", {"action": "rerouted"}) == 0
    assert _sample(text, "madoguchi_sends_total", {"channel": "email", "result": "sent"}) == 1
    assert _sample(text, "madoguchi_sends_total", {"channel": "email", "result": "failed"}) == 1
    assert _sample(text, "madoguchi_outbox_waiting", {"channel": "slack"}) == 1
    assert "x@y.jp" not in text


async def test_the_pipeline_wrapper_counts_received_duplicates_drafts_and_latency(engine: Engine) -> None:
    from bot.metrics import intent_lookup
    from bot.settings import Settings
    from bot.wiring import build_pipeline

    metrics = Metrics()
    pipeline = build_pipeline(Settings(), engine)
    process = metrics.instrument(pipeline.process, intent_lookup(engine))
    message = IncomingMessage(
        channel=Channel.EMAIL, external_id="<p1@x.jp>", sender="a@x.jp", sender_kind=SenderKind.CUSTOMER_EMAIL,
        reply_to="a@x.jp", received_at=dt.datetime.now(dt.UTC), subject="解約", text="解約したいのですが、違約金はかかりますか。",
    )  # fmt: skip
    await process(message)
    await process(message)
    text = metrics.render().decode()
    assert _sample(text, "madoguchi_messages_received_total", {"channel": "email", "kind": "inquiry"}) == 1
    assert _sample(text, "madoguchi_messages_received_total", {"channel": "email", "kind": "duplicate"}) == 1
    assert _sample(text, "madoguchi_drafts_total", {"intent": "cancellation"}) == 1
    assert _sample(text, "madoguchi_pipeline_seconds_count") == 2


async def test_a_standby_intake_is_reported_healthy_as_standby(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose mailbox another worker reads says so on /healthz and stays healthy."""
    from bot.runtime import Runtime
    from bot.settings import Settings
    from bot.wiring import build_pipeline

    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    migrate(engine)
    settings = Settings(imap={"host": "127.0.0.1", "port": free_port(), "security": "plain", "username": "u"})

    class HeldElsewhere:
        def try_acquire(self) -> bool:
            return False

        def release(self) -> None:
            return None

    runtime = Runtime(settings, engine=engine, pipeline=build_pipeline(settings, engine))
    import bot.email.intake as intake_module

    original = intake_module.ImapIntake.__init__

    def standby_init(self: intake_module.ImapIntake, **kwargs: object) -> None:
        original(self, **kwargs)  # type: ignore[arg-type]
        self.leadership = HeldElsewhere()  # type: ignore[assignment]

    monkeypatch.setattr(intake_module.ImapIntake, "__init__", standby_init)
    task = asyncio.create_task(runtime._email_intake())
    async with asyncio.timeout(10):
        while runtime.health.states.get("email_intake") != "standby":
            await asyncio.sleep(0.05)
    status, body = runtime.health.snapshot()
    assert status == 200
    assert body["components"]["email_intake"]["detail"].endswith("read by another worker")
    runtime.stop()
    await asyncio.wait_for(task, 10)


async def test_a_failing_component_logs_its_traceback_once_then_one_line_per_retry(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.backoff import Backoff
    from bot.runtime import Runtime
    from bot.settings import Settings
    from bot.wiring import build_pipeline

    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    migrate(engine)
    settings = Settings()
    runtime = Runtime(
        settings,
        engine=engine,
        pipeline=build_pipeline(settings, engine),
        restart_backoff=Backoff(base=0.01, max_delay=0.01, jitter=0),
    )
    attempts = 0

    async def broken() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 4:
            runtime.stop()
        raise ConnectionError("smtp.example.jp refused")

    with caplog.at_level(logging.ERROR, logger="bot.runtime"):
        await asyncio.wait_for(runtime._supervise("email_outbox", broken), 10)
    failures = [r for r in caplog.records if "email_outbox failed" in r.getMessage()]
    assert len(failures) == 4
    assert [r.exc_info is not None for r in failures] == [True, False, False, False]
    assert "ConnectionError" in failures[-1].getMessage()


def test_a_retrying_loop_logs_the_traceback_once_then_one_line_per_round(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.logs import FailureLog

    logger = logging.getLogger("madoguchi.test.loop")
    failures = FailureLog(logger, "card sweep")
    with caplog.at_level(logging.INFO, logger="madoguchi.test.loop"):
        for _ in range(3):
            try:
                raise ConnectionError("database is down")
            except ConnectionError as exc:
                failures.failed(exc)
        failures.ok()
        failures.ok()
    messages = [(r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert messages == [
        ("card sweep failed", True),
        ("card sweep failed again (ConnectionError, 2 in a row)", False),
        ("card sweep failed again (ConnectionError, 3 in a row)", False),
        ("card sweep works again after 3 failed rounds", False),
    ]
