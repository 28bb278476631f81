"""Webhook delivery: the report's numbers (or an alert) as JSON, POSTed to a URL and signed.

A report's body is the document of `generate --json`; the header `X-Signature: sha256=<hex>`
is the HMAC-SHA256 of the exact body bytes with WEBHOOK_SECRET as the key, so that the
receiver can tell the report came from here. `X-Report-Week` (the week's Monday), or an
alert's `X-Alert-Id`, lets a receiver drop a repeat. Redirects are not followed: the body
and its signature go to the URL written, only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.request
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit, urlunsplit

from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.data.config import Settings
from aiops_report.delivery.routes import shown_url
from aiops_report.errors import ConfigError, WebhookDeliveryError

TIMEOUT = 20  # seconds for the connection and the answer
SIGNATURE_HEADER = "X-Signature"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirects)


def signature(body: bytes, secret: str) -> str:
    """The X-Signature header's value for `body`: `sha256=` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET; raises ConfigError when it is not set (webhooks are always signed)."""
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        raise ConfigError("WEBHOOK_SECRET is not set: webhook routes are signed with it")
    return settings.webhook_secret.get_secret_value()


def post_report(settings: Settings, url: str, numbers: ReportNumbers) -> None:
    """POST the numbers to `url`, signed; raises ConfigError, WebhookDeliveryError (a non-2xx
    answer, a redirect, or no answer)."""
    post_signed(
        settings, url, numbers.to_dict(), {"X-Report-Week": numbers.period.start.isoformat()}
    )


def post_signed(
    settings: Settings, url: str, document: dict[str, Any], headers: dict[str, str]
) -> None:
    """POST `document` as JSON to `url` with `headers`, signed with WEBHOOK_SECRET; raises
    ConfigError, WebhookDeliveryError (a non-2xx answer, a redirect, or no answer)."""
    secret = webhook_secret(settings)
    body = json.dumps(document, ensure_ascii=False, default=str).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "aiops-report",
        SIGNATURE_HEADER: signature(body, secret),
        **headers,
    }
    parts = urlsplit(url)
    if parts.username is not None:  # urllib would take `user:password@host` for the host
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    shown = shown_url(url)
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            response.read()
    except HTTPError as exc:
        raise WebhookDeliveryError(f"webhook {shown} answered HTTP {exc.code}") from None
    except TimeoutError:
        raise WebhookDeliveryError(f"webhook {shown} did not answer within {TIMEOUT} s") from None
    except (URLError, HTTPException, OSError) as exc:
        reason = exc.reason if isinstance(exc, URLError) else exc
        raise WebhookDeliveryError(f"webhook {shown} is unreachable ({reason})") from None
