"""How long Slack may make a delivery wait: slack_sdk's retry handlers, bounded (slack.py's
docstring says how)."""

from __future__ import annotations

import random
import time

from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

MAX_RETRIES = 2
RATE_LIMIT_RETRIES = 5
RATE_LIMIT_BUDGET = 60.0  # seconds of Retry-After waiting, in total, per SlackDelivery


class BudgetedRateLimitHandler(RateLimitErrorRetryHandler):
    """slack_sdk's HTTP 429 handler, waiting as Retry-After asks, up to `max_retry_count`
    retries of a call and `budget` seconds of waiting in all.

    `gave_up` says why the last 429 was not retried: the retries are used up, or the wait
    asked for is more than the budget has left (or cannot be read).
    """

    def __init__(self, max_retry_count: int, budget: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.budget = budget
        self.waited = 0.0
        self.gave_up: str | None = None

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after(response)
        left = self.budget - self.waited
        if wait is None:
            self.gave_up = "its Retry-After cannot be read"
        elif state.current_attempt >= self.max_retry_count:
            self.gave_up = (
                f"still after {state.current_attempt} retries and {self.waited:.0f} s of waiting"
            )
        elif wait + 1 > left:  # + the jitter added to each wait, at most 1 s
            self.gave_up = (
                f"it asks to wait {wait} s, more than the {max(left, 0):.0f} s left of the "
                f"{self.budget:.0f} s we wait in all"
            )
        else:
            self.gave_up = None
            return True
        return False

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Sleep Retry-After plus up to 1 s of jitter (as the parent), counted in `waited`."""
        wait = _retry_after(response) if response is not None else None
        duration = (1 if wait is None else wait) + random.random()
        self.waited += duration
        state.next_attempt_requested = True
        time.sleep(duration)
        state.increment_current_attempt()


def _retry_after(response: HttpResponse) -> int | None:
    """Retry-After in seconds; None when it is not a number of seconds (e.g. an HTTP date)."""
    values = {k.lower(): v for k, v in response.headers.items()}.get("retry-after") or ["1"]
    try:
        return max(int(values[0]), 0)
    except ValueError:
        return None


def retry_handlers() -> list[RetryHandler]:
    """Connection errors and HTTP 500/503, each retried at most MAX_RETRIES times (HTTP 429 is
    SlackDelivery's BudgetedRateLimitHandler)."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=MAX_RETRIES),
        ServerErrorRetryHandler(max_retry_count=MAX_RETRIES),
    ]
