"""Webhooks: the numbers POSTed as JSON, signed (checked by a real receiver), never redirected,
and no credential or query in a message."""

from __future__ import annotations

import base64
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any

import pytest
from pydantic import SecretStr

from aiops_report.delivery.webhook import post_report
from aiops_report.errors import ConfigError, WebhookDeliveryError
from mail_server import free_port
from report.report_numbers import week
from webhook_server import SECRET, WebhookServer, webhook_server_fixture  # noqa: F401


def signed() -> SecretStr:
    return SecretStr(SECRET)


def test_the_numbers_arrive_signed(webhook_server: WebhookServer) -> None:
    numbers = week()

    post_report(signed(), f"{webhook_server.url}/ai", numbers)

    [received] = webhook_server.received
    assert received.document == json.loads(json.dumps(numbers.to_dict(), default=str))
    assert received.headers["content-type"] == "application/json; charset=utf-8"


def test_a_wrong_secret_is_rejected_by_the_receiver(webhook_server: WebhookServer) -> None:
    other = SecretStr("not-" + SECRET)

    with pytest.raises(WebhookDeliveryError, match=r"answered HTTP 401"):
        post_report(other, f"{webhook_server.url}/ai", week())

    assert webhook_server.received == [] and len(webhook_server.rejected) == 1


def test_credentials_go_as_basic_auth_and_never_into_messages(
    webhook_server: WebhookServer,
) -> None:
    url = webhook_server.url.replace("http://", "http://hook-user:hook-pass@") + "/ai?key=k3y"
    post_report(signed(), url, week())
    webhook_server.fail(503)

    with pytest.raises(WebhookDeliveryError) as raised:
        post_report(signed(), url, week())

    [received] = webhook_server.received
    assert (
        received.headers["authorization"]
        == "Basic " + base64.b64encode(b"hook-user:hook-pass").decode()
    )
    assert received.path == "/ai?key=k3y"
    assert str(raised.value) == f"webhook {webhook_server.url}/ai answered HTTP 503"


def test_a_redirect_is_not_followed() -> None:
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(WebhookDeliveryError, match="answered HTTP 307"):
            post_report(signed(), f"http://127.0.0.1:{server.server_address[1]}/ai", week())
    finally:
        server.shutdown()
        server.server_close()


def test_an_unreachable_webhook_is_one_line() -> None:
    port = free_port()
    with pytest.raises(WebhookDeliveryError) as raised:
        post_report(signed(), f"http://u:p4ss@127.0.0.1:{port}/ai?token=t0k", week())

    message = str(raised.value)
    assert message.startswith(f"webhook http://127.0.0.1:{port}/ai is unreachable")
    assert "p4ss" not in message and "t0k" not in message


def test_without_a_secret_nothing_is_sent(webhook_server: WebhookServer) -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET is not set"):
        post_report(None, f"{webhook_server.url}/ai", week())

    assert webhook_server.received == webhook_server.rejected == []
