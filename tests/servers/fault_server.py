"""A chat-completions server with connection-level faults: the ones a status code cannot express.

    server = FaultServer().start()
    server.connection_faults["m"] = "reset"     # every request for model "m" gets a TCP reset
    server.connection_faults["m"] = "hangup"    # the connection closes without a reply
    server.connection_faults["m"] = "stall"     # accepted, never answered (until stop() or release())

`hold_first` makes the first N requests wait until `release()` while later ones answer at once: a
test can then see what the client logged before the slow ones came back, with no sleep racing.
An "echo" fault (servers.base) answers with the caller's key quoted. Everything else is ChatServer's.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading

from aiohttp import web

from servers.chat_server import ChatServer, completion


class FaultServer(ChatServer):
    def __init__(self, latency: float = 0.0, lifetime_s: float = 120.0) -> None:
        super().__init__(latency, lifetime_s)
        self.connection_faults: dict[str, str] = {}
        self.hold_first = 0
        self.held = threading.Event()  # set once `hold_first` requests are waiting
        self._holding = 0
        self._release: asyncio.Event | None = None

    def release(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._release_event().set)

    def stop(self) -> None:
        self.release()  # stalled handlers return, so the server can shut down at once
        super().stop()

    def _release_event(self) -> asyncio.Event:
        if self._release is None:
            self._release = asyncio.Event()
        return self._release

    def echo(self, model: str, key: str) -> web.Response:
        return web.json_response(completion(model, f"Male. (Your key {key} works.)"))

    async def completions(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            model = str(json.loads(raw)["model"])
        except (ValueError, KeyError):
            model = ""
        fault = self.connection_faults.get(model)
        if fault is not None:
            self.attempts[model] += 1
            return await self._connection_fault(request, fault)
        if self._holding < self.hold_first:
            self._holding += 1
            if self._holding == self.hold_first:
                self.held.set()
            await self._release_event().wait()
        self.track(+1)
        try:
            return await self._complete(request, raw)
        finally:
            self.track(-1)

    async def _connection_fault(self, request: web.Request, fault: str) -> web.Response:
        transport = request.transport
        if fault == "stall":
            await self._release_event().wait()
            return web.Response(status=503, text="released")
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if fault == "reset" and sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if fault == "reset":
                transport.abort()
            else:
                transport.close()
        return web.Response(status=500, text="unreachable")  # the transport is gone: never delivered
