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
from collections.abc import Callable, Mapping
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import SecretStr

from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.delivery.protocol import Kind, Message, Receipt
from aiops_report.errors import ConfigError, WebhookDeliveryError, WebhookTimeout
from aiops_report.redact import shown_url, without_credentials

TIMEOUT = 20  # seconds for the connection and the answer
SIGNATURE_HEADER = "X-Signature"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirects)


def signature(body: bytes, secret: str) -> str:
    """The X-Signature header's value for `body`: `sha256=` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_secret(secret: SecretStr | None) -> str:
    """WEBHOOK_SECRET; raises ConfigError when it is not set (webhooks are always signed)."""
    if secret is None or not secret.get_secret_value():
        raise ConfigError("WEBHOOK_SECRET is not set: webhook routes are signed with it")
    return secret.get_secret_value()


def post_report(secret: SecretStr | None, url: str, numbers: ReportNumbers) -> None:
    """POST the numbers to `url`, signed; raises ConfigError, WebhookDeliveryError (a non-2xx
    answer, a redirect, or no answer)."""
    post_signed(secret, url, numbers.to_dict(), {"X-Report-Week": numbers.period.start.isoformat()})


def post_signed(
    secret: SecretStr | None, url: str, document: Mapping[str, Any], headers: Mapping[str, str]
) -> None:
    """POST `document` as JSON to `url` with `headers`, signed with WEBHOOK_SECRET; raises
    ConfigError, WebhookDeliveryError (a non-2xx answer, a redirect, or no answer)."""
    key = webhook_secret(secret)
    body = json.dumps(document, ensure_ascii=False, default=str).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "aiops-report",
        SIGNATURE_HEADER: signature(body, key),
        **headers,
    }
    parts = urlsplit(url)
    if parts.username is not None:  # urllib would take `user:password@host` for the host
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        url = urlunsplit(parts._replace(netloc=without_credentials(parts.netloc)))
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    shown = shown_url(url)
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            response.read()
    except HTTPError as exc:
        raise WebhookDeliveryError(f"webhook {shown} answered HTTP {exc.code}") from None
    except TimeoutError:
        raise WebhookTimeout(f"webhook {shown} did not answer within {TIMEOUT} s") from None
    except (URLError, HTTPException, OSError) as exc:
        reason = exc.reason if isinstance(exc, URLError) else exc
        if isinstance(reason, TimeoutError):  # connecting timed out
            raise WebhookTimeout(f"webhook {shown} did not answer within {TIMEOUT} s") from None
        raise WebhookDeliveryError(f"webhook {shown} is unreachable ({reason})") from None


class WebhookSender:
    """A webhook as a destination (delivery/protocol.py): the message's JSON document and
    headers, signed with WEBHOOK_SECRET."""

    def __init__(self, url: str, secret: SecretStr | None) -> None:
        self.url = url
        self.secret = secret

    @property
    def shown(self) -> str:
        return f"webhook:{shown_url(self.url)}"

    def ledger_key(self) -> str:
        return self.url

    def former_keys(self) -> set[str]:
        return set()

    def send(
        self, message: Message, *, on_receipt_id: Callable[[str], object] | None = None
    ) -> Receipt:
        post_signed(self.secret, self.url, message.document, message.headers)
        return Receipt()

    def resume(self, message: Message, receipt_id: str) -> Receipt | None:
        return None  # a receiver drops a repeat by X-Report-Week


def _url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{shown_url(url)!r} is not an http(s) URL")
    return url.strip()


WEBHOOK = Kind(
    name="webhook",
    many=False,
    check=_url,
    shown=lambda url: f"webhook:{shown_url(url)}",
    same=lambda url: url,  # a URL's path is case-sensitive
    sender=lambda url, config: WebhookSender(url, config.webhook_secret),
)
