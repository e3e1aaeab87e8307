"""A small ASGI server on the bot's own asyncio loop (health and metrics, webhooks)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn

log = logging.getLogger(__name__)


class _Quiet(uvicorn.Server):
    """Leaves signal handling to the bot."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LoopServer:
    """`start` and `stop` on the running loop. No access log (paths and queries could carry
    what they should not); a busy port is one log line, and no server."""

    def __init__(self, app: Any, host: str, port: int, name: str) -> None:
        self.app, self.host, self.port, self.name = app, host, port, name
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def serving(self) -> bool:
        return self._task is not None

    async def start(self) -> bool:
        try:
            sock = socket.create_server((self.host, self.port))
        except OSError as error:
            reason = error.strerror or type(error).__name__
            log.error(
                "%s not served: %s:%s is not free (%s)", self.name, self.host, self.port, reason
            )
            return False
        sock.setblocking(False)
        config = uvicorn.Config(
            self.app, log_config=None, access_log=False, server_header=False, lifespan="off"
        )
        self._server = _Quiet(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        log.info("%s at http://%s:%s/", self.name, self.host, sock.getsockname()[1])
        return True

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._task = None
