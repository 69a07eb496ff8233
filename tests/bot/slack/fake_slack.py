"""A fake Slack: a real aiohttp server on 127.0.0.1 that answers the Web API methods the bot calls the way
Slack does (JSON or form bodies, ``ok``/``error``, Block Kit validation → ``invalid_blocks``), records every
call, and speaks the Socket Mode envelope protocol on a WebSocket (hello, envelopes, acks).

Modelled on bolt-python's ``tests/mock_web_api_server`` and its Socket Mode server, but asyncio-native.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.slack import blockkit

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
TEAM_ID = "T111"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
VIEW_METHODS = ("views.open", "views.update", "views.publish", "views.push")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # user id -> real name
    calls: list[Call] = field(default_factory=list)
    fail_next: dict[str, str] = field(default_factory=dict)  # method -> error to answer once
    # method -> least seconds between two accepted calls; a sooner call gets HTTP 429 ``ratelimited`` with a
    # Retry-After header, as Slack answers (chat.postMessage allows about one message a second).
    rate_limits: dict[str, float] = field(default_factory=dict)
    refused: list[tuple[str, float]] = field(default_factory=list)  # (method, monotonic time) of 429s
    accepted_at: dict[str, list[float]] = field(default_factory=dict)  # method -> monotonic times
    acks: list[dict[str, Any]] = field(default_factory=list)  # Socket Mode acks received
    url: str = ""

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._ack_event = asyncio.Event()
        self.connected = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_post("/api/{method}", self.api)
        self.app.router.add_get("/api/{method}", self.api)
        self.app.router.add_get("/link", self.link)
        self.app.router.add_post("/upload/{file_id}", self.upload)
        self.runner: web.AppRunner | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------
    async def start(self) -> str:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    # -- what tests read ----------------------------------------------------------------------------------
    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [p for p in self.called("chat.postMessage") if channel is None or p.get("channel") == channel]

    def clear(self) -> None:
        self.calls.clear()

    # -- Web API ------------------------------------------------------------------------------------------
    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        if method in self.rate_limits:  # refused calls are not recorded in ``calls``
            now = time.monotonic()
            accepted = self.accepted_at.setdefault(method, [])
            if accepted and now - accepted[-1] < self.rate_limits[method]:
                self.refused.append((method, now))
                wait = math.ceil(self.rate_limits[method] - (now - accepted[-1]))
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(wait)}
                )
            accepted.append(now)
        self.calls.append(Call(method, params, token))
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method in self.fail_next:
            return web.json_response({"ok": False, "error": self.fail_next.pop(method)})
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(params))

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    @staticmethod
    def _blocks(params: dict[str, Any]) -> list[dict[str, Any]] | None:
        blocks = params.get("blocks")
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    def _invalid(self, params: dict[str, Any]) -> dict[str, Any] | None:
        blocks = self._blocks(params)
        if blocks is not None and blockkit.problems(blocks):
            return {"ok": False, "error": "invalid_blocks", "errors": blockkit.problems(blocks)}
        if not params.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        if len(str(params.get("text") or "")) > blockkit.MESSAGE_TEXT:
            return {"ok": False, "error": "msg_too_long"}
        return None

    def m_auth_test(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://madoguchi-test.slack.com/",
            "team": "Test",
            "user": "madoguchi",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        if not str(p.get("channel") or "").startswith(("C", "G", "D")):
            return {"ok": False, "error": "channel_not_found"}
        invalid = self._invalid(p)
        if invalid:
            return invalid
        ts = self._next_ts()
        message = {"type": "message", "text": p.get("text"), "ts": ts, "bot_id": BOT_ID, "user": BOT_USER_ID}
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        return {"ok": True, "channel": p["channel"], "ts": ts, "message": message}

    def m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        invalid = self._invalid(p)
        if invalid:
            return invalid
        if not p.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": p.get("channel"), "ts": p["ts"], "text": p.get("text")}

    def m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    def _view(self, p: dict[str, Any]) -> dict[str, Any]:
        view = p.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        if blockkit.problems(view, surface=view.get("type", "modal")):
            return {"ok": False, "error": "invalid_arguments", "errors": blockkit.problems(view)}
        return {"ok": True, "view": {"id": "V" + uuid.uuid4().hex[:8].upper(), **view}}

    def m_views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return self._view(p)

    m_views_update = m_views_publish = m_views_push = _view

    def m_usergroups_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        group = p.get("usergroup")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def m_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = str(p.get("user") or "")
        if user not in self.users:
            return {"ok": False, "error": "user_not_found"}
        name = self.users[user]
        return {
            "ok": True,
            "user": {"id": user, "name": user.lower(), "real_name": name, "profile": {"real_name": name}},
        }

    def m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = "F" + uuid.uuid4().hex[:8].upper()
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}

    def m_apps_connections_open(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.url.replace("http://", "ws://") + "/link"}

    async def upload(self, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="OK")

    # -- Socket Mode --------------------------------------------------------------------------------------
    async def link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A111"}})
        self.connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                if "envelope_id" in data:
                    self.acks.append(data)
                    self._ack_event.set()
        if ws in self._sockets:
            self._sockets.remove(ws)
        return ws

    async def send_envelope(
        self, envelope_type: str, payload: dict[str, Any], *, accepts_response: bool = False
    ) -> str:
        """Push one envelope to the connected client; returns its envelope id."""
        envelope_id = str(uuid.uuid4())
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "payload": payload,
                "accepts_response_payload": accepts_response,
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    async def wait_posts(self, channel: str, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The posts to ``channel`` once there is one (a card is posted after the event is acked)."""
        async with asyncio.timeout(timeout):
            while not self.posts(channel):
                await asyncio.sleep(0.02)
        return self.posts(channel)

    async def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                for ack in self.acks:
                    if ack["envelope_id"] == envelope_id:
                        return ack
                self._ack_event.clear()
                await self._ack_event.wait()


async def _params(request: web.Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.query)
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    return dict(request.query)
