"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping every message it accepts.

with MailServer(users={"reports": "pa55word"}) as mail:
    settings = Settings(smtp_url=f"smtp://reports:pa55word@127.0.0.1:{mail.port}", ...)
    ...
    [message] = mail.messages
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd's controller needs one named in advance)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MailServer:
    """SMTP on 127.0.0.1:`port`; with `users`, AUTH LOGIN/PLAIN is offered (without TLS too,
    as a relay on this machine may); with `tls`, STARTTLS is offered (and AUTH only after it)."""

    def __init__(
        self, *, users: dict[str, str] | None = None, tls: ssl.SSLContext | None = None
    ) -> None:
        self.users = users
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.logins: list[str] = []
        self.refuse_next = 0  # answer the next DATA with 451 (a temporary failure)
        extra: dict[str, Any] = {}
        if users is not None:
            extra = {"authenticator": self._authenticate, "auth_require_tls": tls is not None}
        if tls is not None:
            extra["tls_context"] = tls
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **extra)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._controller.stop()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 try again later"
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword) and self.users is not None
        user, password = data.login.decode(), data.password.decode()
        if self.users.get(user) != password:
            return AuthResult(success=False, handled=False)
        self.logins.append(user)
        return AuthResult(success=True, auth_data=data)


@pytest.fixture(name="mail_server")
def mail_server_fixture() -> Iterator[MailServer]:
    """`mail_server`: an SMTP server that takes any message, stopped after the test."""
    with MailServer() as server:
        yield server
