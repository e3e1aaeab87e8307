"""PTB's rate limiter, counting each 429 Too Many Requests Telegram answers (it retries them
itself, so the sender sees only those that outlast its retries)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot import metrics

Result = bool | dict[str, Any] | list[dict[str, Any]]  # PTB's JSONDict


class CountingRateLimiter(AIORateLimiter):
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        async def counted(*call_args: Any, **call_kwargs: Any) -> Result:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter:
                metrics.TOO_MANY_REQUESTS.inc()
                raise

        return await super().process_request(counted, args, kwargs, endpoint, data, rate_limit_args)
