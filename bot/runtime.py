"""``madoguchi serve``: Slack, the email intake and the outbox senders in one asyncio process.

Everything runs inside one :class:`asyncio.TaskGroup`; nothing is started with an untracked ``create_task``.
SIGTERM/SIGINT set one stop event: intake stops taking new work, in-flight work finishes, connections
close, and the group ends. A component that fails is restarted with backoff and shows as ``failed`` on
``/healthz`` meanwhile; components disabled by settings are reported as ``disabled`` and never started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy.engine import Engine

from bot.backoff import Backoff
from bot.metrics import CONTENT_TYPE, Metrics, intent_lookup
from bot.settings import Settings
from bot.wiring import build_pipeline
from desk.message import IncomingMessage
from desk.pipeline import Pipeline, ProcessResult

log = logging.getLogger(__name__)

RUNNING, DISABLED, FAILED, STARTING, STOPPED = "running", "disabled", "failed", "starting", "stopped"
RECONNECTING = "reconnecting"  # lost its server and retrying; /healthz is degraded meanwhile
STANDBY = "standby"  # another worker holds the mailbox; this one takes over when that one dies
HEALTHY = frozenset({RUNNING, DISABLED, STANDBY})
SETTLE_EVERY_SECONDS = 300.0
RETENTION_EVERY_SECONDS = 24 * 3600.0  # privacy.retention_days is applied at start, then daily


@dataclass
class Health:
    """What ``/healthz`` reports: one state per component, plus a short detail (never a secret)."""

    states: dict[str, str] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    stopping: bool = False

    def set(self, name: str, state: str, detail: str = "") -> None:
        self.states[name] = state
        self.details[name] = detail

    def snapshot(self) -> tuple[int, dict[str, Any]]:
        ok = not self.stopping and all(s in HEALTHY for s in self.states.values())
        status = "stopping" if self.stopping else ("ok" if ok else "degraded")
        body = {
            "status": status,
            "components": {
                n: {"state": s, "detail": self.details.get(n, "")} for n, s in self.states.items()
            },
        }
        return (200 if ok else 503), body


class Runtime:
    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine,
        pipeline: Pipeline,
        grace_seconds: float = 20.0,
        restart_backoff: Backoff | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.pipeline = pipeline
        self.grace_seconds = grace_seconds
        self.restart_backoff = restart_backoff or Backoff(base=2.0, max_delay=120.0)
        self.health = Health()
        self.stop_event = asyncio.Event()
        self.desk: Any = None  # bot.slack.app.SlackDesk when Slack is enabled
        self.health_port: int | None = None  # the port /healthz listens on, once started
        self.metrics = Metrics(engine)
        # Every channel (Slack, IMAP) goes through this one pipeline object: measured once, here.
        pipeline.process = self.metrics.instrument(pipeline.process, intent_lookup(engine))  # type: ignore[method-assign,assignment]

    # -- what is enabled --------------------------------------------------------------------------------
    @property
    def slack_enabled(self) -> bool:
        return bool(self.settings.slack.bot_token.get_secret_value())

    @property
    def imap_enabled(self) -> bool:
        return bool(self.settings.imap.host and self.settings.imap.username)

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.settings.smtp.host)

    def stop(self) -> None:
        """Ask every component to finish (what SIGTERM/SIGINT do)."""
        self.health.stopping = True
        self.stop_event.set()

    # -- the whole process -------------------------------------------------------------------------------
    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._health_server(), name="health")]
                for name, enabled, component in self._components():
                    if enabled:
                        self.health.set(name, STARTING)
                        tasks.append(group.create_task(self._supervise(name, component), name=name))
                    else:
                        self.health.set(name, DISABLED)
                group.create_task(self._watchdog(tasks))
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        log.info("madoguchi stopped")

    def _components(self) -> list[tuple[str, bool, Callable[[], Awaitable[None]]]]:
        if self.slack_enabled:
            from bot.slack.app import build_desk

            self.desk = build_desk(settings=self.settings, engine=self.engine, pipeline=self.pipeline)
        return [
            ("slack", self.slack_enabled, self._slack),
            ("slack_cards", self.slack_enabled, self._slack_cards),
            ("slack_incidents", self.slack_enabled, self._slack_incidents),
            ("slack_outbox", self.slack_enabled, self._slack_outbox),
            ("slack_digest", self.slack_enabled and bool(self.settings.slack.managers_channel), self._digest),
            ("email_intake", self.imap_enabled, self._email_intake),
            ("email_outbox", self.smtp_enabled, self._email_outbox),
            ("report_settle", True, self._report_settle),
            ("privacy_retention", self.settings.privacy.retention_days > 0, self._retention),
        ]

    async def _watchdog(self, tasks: list[asyncio.Task[None]]) -> None:
        """After the stop signal, give components ``grace_seconds`` to finish, then cancel the rest."""
        await self.stop_event.wait()
        _done, pending = await asyncio.wait(tasks, timeout=self.grace_seconds)
        for task in pending:
            log.error("%s did not stop within %.0fs; cancelling it", task.get_name(), self.grace_seconds)
            task.cancel()

    async def _supervise(self, name: str, component: Callable[[], Awaitable[None]]) -> None:
        attempt = 0
        while not self.stop_event.is_set():
            try:
                await component()
            except Exception as exc:
                attempt += 1
                delay = self.restart_backoff.delay(attempt)
                self.health.set(name, FAILED, type(exc).__name__)
                if attempt == 1:  # the first failure with its traceback; each retry after it, one line
                    log.exception("%s failed; restarting in %.0fs", name, delay)
                else:
                    log.error(
                        "%s failed again (%s, attempt %d); restarting in %.0fs",
                        name,
                        type(exc).__name__,
                        attempt,
                        delay,
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), delay)
                continue
            break
        self.health.set(name, STOPPED)

    # -- health -----------------------------------------------------------------------------------------
    async def _health_server(self) -> None:
        async def healthz(_request: web.Request) -> web.Response:
            status, body = self.health.snapshot()
            return web.json_response(body, status=status)

        async def metrics(_request: web.Request) -> web.Response:
            # The store part of a scrape runs statements: off the event loop.
            body = await asyncio.to_thread(self.metrics.render)
            return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

        app = web.Application()
        app.router.add_get("/healthz", healthz)
        app.router.add_get("/metrics", metrics)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "0.0.0.0", self.settings.health_port)
        await site.start()
        self.health_port = runner.addresses[0][1]
        log.info("health endpoint on port %s", self.health_port)
        try:
            await self.stop_event.wait()
        finally:
            await runner.cleanup()

    # -- Slack ------------------------------------------------------------------------------------------
    async def _slack(self) -> None:
        if self.settings.slack.mode == "http":
            await self._slack_http()
        else:
            await self._slack_socket()

    async def _slack_http(self) -> None:
        runner = web.AppRunner(self.desk.app.web_app(path="/slack/events"), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.settings.slack.http_host, self.settings.slack.http_port).start()
        self.health.set("slack", RUNNING, f"http:{runner.addresses[0][1]}")
        try:
            await self.stop_event.wait()
        finally:
            await runner.cleanup()  # finishes requests in flight before closing

    async def _slack_socket(self) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(self.desk.app, self.settings.slack.app_token.get_secret_value())
        try:
            await handler.connect_async()  # type: ignore[no-untyped-call]
            self.health.set("slack", RUNNING, "socket_mode")
            await self.stop_event.wait()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]

    async def _slack_cards(self) -> None:
        self.health.set("slack_cards", RUNNING)
        await self.desk.poster.run(self.stop_event)

    async def _slack_incidents(self) -> None:
        self.health.set("slack_incidents", RUNNING)
        await self.desk.incidents.run(self.stop_event)

    async def _slack_outbox(self) -> None:
        self.health.set("slack_outbox", RUNNING)
        await self.desk.outbox.run(self.stop_event)

    async def _digest(self) -> None:
        """The managers' weekly digest (bot/slack/manager.py, when the reports part is installed)."""
        try:
            from bot.slack.manager import run_digest_scheduler
        except ImportError:
            self.health.set("slack_digest", DISABLED, "not installed")
            await self.stop_event.wait()
            return
        self.health.set("slack_digest", RUNNING)
        await run_digest_scheduler(self.desk.client, self.engine, self.settings, self.stop_event)

    async def _report_settle(self) -> None:
        """Keep the managers' derived report columns current (store/settle.py), so that a report, the App
        Home tab or the digest never waits for a backlog, and a change of desk hours is absorbed right after
        the restart that brings it rather than in a manager's first report."""
        from store.leader import Leadership
        from store.settle import settle

        hours = self.settings.desk_hours()
        # Several serve processes on one database: one settles at a time, the others stand by.
        leadership = Leadership(self.engine, "report_settle")
        self.health.set("report_settle", RUNNING)
        try:
            while not self.stop_event.is_set():
                if await asyncio.to_thread(leadership.try_acquire):
                    await asyncio.to_thread(settle, self.engine, hours)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), SETTLE_EVERY_SECONDS)
        finally:
            await asyncio.to_thread(leadership.release)

    async def _retention(self) -> None:
        """Erase personal data past ``privacy.retention_days``, at start and then once a day."""
        from store.privacy import apply_retention

        self.health.set("privacy_retention", RUNNING)
        while not self.stop_event.is_set():
            erasure = await asyncio.to_thread(
                apply_retention, self.engine, days=self.settings.privacy.retention_days
            )
            if erasure is not None and erasure.inquiries:
                log.info("retention: personal data of %d inquiries erased", erasure.inquiries)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_event.wait(), RETENTION_EVERY_SECONDS)

    # -- email ------------------------------------------------------------------------------------------
    async def handle_email(self, message: IncomingMessage) -> ProcessResult:
        """The intake callback: run the pipeline, then wake the card poster."""
        result = await self.pipeline.process(message)
        if self.desk is None or not result.created:
            return result
        if result.attached:  # the customer wrote again in a thread that already has a card
            await self.desk.after_process(result, via="email")
        self.desk.poster.wake()
        self.desk.incidents.wake()
        return result

    async def _email_intake(self) -> None:
        from bot.email.intake import Handle, ImapIntake, parse_options

        handle: Handle = self.handle_email
        if self.settings.smtp.acknowledge:
            from bot.email.outbox import AckLimits, acknowledging

            handle = acknowledging(
                handle,
                engine=self.engine,
                desk=self.settings.desk,
                tz=self.settings.timezone,
                limits=AckLimits.of(self.settings.limits),
            )
        mailbox = self.settings.imap.mailbox

        def on_state(connected: bool | None, error: str) -> None:
            if connected is None:
                self.health.set("email_intake", STANDBY, f"{mailbox}: read by another worker")
            elif connected:
                self.health.set("email_intake", RUNNING, mailbox)
            else:
                self.metrics.imap_reconnects.inc()
                self.health.set("email_intake", RECONNECTING, error)

        intake = ImapIntake(
            engine=self.engine,
            settings=self.settings.imap,
            handle=handle,
            options=parse_options(self.settings),
            on_state=on_state,
        )
        self.health.set("email_intake", STARTING, mailbox)
        async with asyncio.TaskGroup() as group:
            group.create_task(intake.run())
            await self.stop_event.wait()
            intake.stop()  # finishes the current batch; IDLE wakes within a second

    async def _email_outbox(self) -> None:
        from bot.email.outbox import EmailOutbox

        outbox = EmailOutbox(engine=self.engine, smtp=self.settings.smtp, desk=self.settings.desk)
        self.health.set("email_outbox", RUNNING)
        await outbox.run(self.stop_event)


async def serve(settings: Settings, engine: Engine) -> None:
    """Load the pipeline, then run every enabled component until SIGTERM/SIGINT."""
    # The classifier loads in a few seconds: off the event loop.
    pipeline = await asyncio.to_thread(build_pipeline, settings, engine)
    await Runtime(settings, engine=engine, pipeline=pipeline).run()
