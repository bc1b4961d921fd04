"""A small Phoenix Channels v2 client on asyncio and `websockets` (Debian's 10.4). Test code.

Frames are JSON arrays `[join_ref, ref, topic, event, payload]`. One reader task routes
replies (`phx_reply`) to the request that is waiting for its `ref` and queues every other
server frame (pushes, `phx_close`, `phx_error`) for `next_push`. A heartbeat task sends
`[null, ref, "phoenix", "heartbeat", {}]` every `heartbeat_s` seconds, like phoenix.js.

    async with PhoenixClient.connect(url + "/api/v1/socket", {"api_key": "K"}) as client:
        reply = await client.join("chat_room:ROOM")
        topic, event, payload = await client.next_push()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.parse
from typing import Any, Dict, List, Optional, Tuple

import websockets

Push = Tuple[str, str, Any]  # (topic, event, payload)


class PhoenixError(Exception):
    """The server closed, refused, or did not answer in time."""


class PhoenixClient:
    """One socket. Use from one asyncio task (plus its own reader and heartbeat tasks)."""

    def __init__(self, ws, heartbeat_s: float):
        self._ws = ws
        self._ref = 0
        self._join_refs: Dict[str, str] = {}
        self._waiting: Dict[str, asyncio.Future] = {}
        self._pushes: asyncio.Queue = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read())
        self._heartbeat = asyncio.ensure_future(self._beat(heartbeat_s))

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, socket_url: str, params: Dict[str, str], heartbeat_s: float = 30.0):
        """Connects to `socket_url + "/websocket?" + params + "&vsn=2.0.0"`; closes on exit."""
        query = urllib.parse.urlencode({**params, "vsn": "2.0.0"})
        ws = await websockets.connect(f"{socket_url}/websocket?{query}", open_timeout=10)
        client = cls(ws, heartbeat_s)
        try:
            yield client
        finally:
            await client.close()

    def _next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    async def _send(self, join_ref: Optional[str], topic: str, event: str, payload: Any,
                    timeout: float) -> Dict[str, Any]:
        ref = self._next_ref()
        if event == "phx_join":
            join_ref = ref
        reply = asyncio.get_running_loop().create_future()
        self._waiting[ref] = reply
        await self._ws.send(json.dumps([join_ref, ref, topic, event, payload]))
        try:
            return await asyncio.wait_for(reply, timeout)
        except asyncio.TimeoutError:
            raise PhoenixError(f"no reply to {event} on {topic} within {timeout} s") from None
        finally:
            self._waiting.pop(ref, None)

    async def join(self, topic: str, payload: Optional[dict] = None,
                   timeout: float = 10.0) -> Dict[str, Any]:
        """Joins `topic`; returns the reply payload (`{"status": "ok"|"error", ...}`)."""
        join_ref = str(self._ref + 1)
        reply = await self._send(None, topic, "phx_join", payload or {}, timeout)
        if reply.get("status") == "ok":
            self._join_refs[topic] = join_ref
        return reply

    async def push(self, topic: str, event: str, payload: Any, timeout: float = 10.0):
        """Sends an event on a joined topic and returns its reply payload."""
        return await self._send(self._join_refs.get(topic), topic, event, payload, timeout)

    async def leave(self, topic: str, timeout: float = 10.0) -> Dict[str, Any]:
        return await self.push(topic, "phx_leave", {}, timeout)

    async def next_push(self, timeout: float = 10.0) -> Push:
        """The next server frame that is not a reply: (topic, event, payload)."""
        try:
            item = await asyncio.wait_for(self._pushes.get(), timeout)
        except asyncio.TimeoutError:
            raise PhoenixError(f"no push within {timeout} s") from None
        if isinstance(item, Exception):
            raise item
        return item

    async def pushes(self, count: int, timeout: float = 10.0) -> List[Push]:
        return [await self.next_push(timeout) for _ in range(count)]

    async def close(self) -> None:
        self._heartbeat.cancel()
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        with contextlib.suppress(asyncio.CancelledError):
            await self._heartbeat

    async def _read(self) -> None:
        try:
            async for text in self._ws:
                _join_ref, ref, topic, event, payload = json.loads(text)
                if event == "phx_reply" and ref in self._waiting:
                    self._waiting[ref].set_result(payload)
                else:
                    self._pushes.put_nowait((topic, event, payload))
            closed = PhoenixError(f"socket closed: {self._ws.close_code} {self._ws.close_reason}")
        except websockets.ConnectionClosed as e:
            closed = PhoenixError(f"socket closed: {e}")
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(closed)
        self._pushes.put_nowait(closed)

    async def _beat(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            await self._send(None, "phoenix", "heartbeat", {}, timeout=every_s)


# --- The session the tests record from `wsreplay sim` and replay -----------------------------

ALICE_KEY = "sim-user-alice"  # a built-in key of `wsreplay sim`
ROOM = "chat_room:5f0c9a3e-2d71-4b8e-a6c4-81e9f2d03b7a"  # Alice's room with the scripted chat
OTHER_ROOM = "chat_room:a7b8c9d0-1e2f-4a3b-8c4d-5e6f7a8b9c0d"  # hers too, but nothing happens
ROOM_EVENTS = ["message_created"] * 3 + ["message_updated", "message_deleted"]


async def chat_session(ws_url: str, topic: str = ROOM, count: int = len(ROOM_EVENTS)):
    """Alice joins `topic`, reads `count` pushes, leaves. Returns (join reply, pushes)."""
    async with PhoenixClient.connect(ws_url + "/api/v1/socket", {"api_key": ALICE_KEY}) as c:
        reply = await c.join(topic)
        if reply.get("status") != "ok":
            return reply, []
        pushes = await c.pushes(count)
        await c.leave(topic)
        return reply, pushes


def run_chat_session(ws_url: str, topic: str = ROOM, count: int = len(ROOM_EVENTS)):
    """`chat_session` for synchronous tests."""
    return asyncio.run(chat_session(ws_url, topic, count))
