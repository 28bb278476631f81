"""A webhook receiver for the tests: real HTTP on 127.0.0.1 that checks each body's
X-Signature (HMAC-SHA256 with `secret`) as a receiver should, and keeps what it accepted.

    with WebhookServer(SECRET) as hook:
        hook.fail(500)           # the next POST is answered HTTP 500
        ... post to hook.url + "/ai"
        [received] = hook.received
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import pytest

SECRET = "whsec-test-secret-0123456789"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def document(self) -> Any:
        return json.loads(self.body)


class WebhookServer:
    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.received: list[Received] = []  # signed correctly and answered 2xx
        self.rejected: list[Received] = []  # a wrong signature: answered 401
        self.failures: list[int] = []  # statuses to answer the next POSTs with
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.daemon_threads = True
        self._http.hook = self  # type: ignore[attr-defined]
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, status: int, times: int = 1) -> None:
        self.failures.extend([status] * times)

    def __enter__(self) -> WebhookServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._http.shutdown()
        self._http.server_close()

    def answer(self, request: Received) -> int:
        with self._lock:
            if self.failures:
                return self.failures.pop(0)
            expected = (
                "sha256=" + hmac.new(self.secret.encode(), request.body, hashlib.sha256).hexdigest()
            )
            if not hmac.compare_digest(request.headers.get("x-signature", ""), expected):
                self.rejected.append(request)
                return 401
            self.received.append(request)
            return 204


class _Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer

    def do_POST(self) -> None:
        hook: WebhookServer = self.server.hook  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status = hook.answer(Received(self.path, headers, body))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


@pytest.fixture(name="webhook_server")
def webhook_server_fixture() -> Iterator[WebhookServer]:
    """`webhook_server`: a receiver checking signatures with SECRET, stopped after the test."""
    with WebhookServer() as server:
        yield server
