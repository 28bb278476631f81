"""Email delivery: the report PDF (and its tables as CSV), or an alert's text, to one address,
through SMTP_URL.

The standard library's email and smtplib only. SMTP_URL is `smtp://[user:password@]host[:port]`
(port 587 by default; STARTTLS whenever the server offers it) or `smtps://...` (TLS from the
first byte, port 465 by default). A password is sent only over TLS, or to a relay on this
machine (loopback). The password never appears in a message of ours.
"""

from __future__ import annotations

import ipaddress
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.delivery.config import EmailConfig
from aiops_report.delivery.messages import report_message
from aiops_report.delivery.protocol import Kind, Message, Receipt
from aiops_report.errors import ConfigError, EmailDeliveryError, EmailTimeout

TIMEOUT = 30  # seconds for the connection and each SMTP reply
PORTS = {"smtp": 587, "smtps": 465}
# Deliberately loose: one @, no spaces, a dot in the domain; the SMTP server judges the rest.
EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class SmtpServer:
    """SMTP_URL, read: where to connect and as whom."""

    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None

    def __repr__(self) -> str:
        return f"SmtpServer({self.shown!r}, user={self.user!r})"

    @property
    def shown(self) -> str:
        """The server as messages show it: no user, no password."""
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def on_this_machine(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def smtp_server(config: EmailConfig) -> SmtpServer:
    """SMTP_URL read; raises ConfigError when it (or EMAIL_FROM) is unset or malformed."""
    if config.smtp_url is None or not config.smtp_url.get_secret_value().strip():
        raise ConfigError("SMTP_URL is not set: email routes need an SMTP server")
    if not config.sender:
        raise ConfigError("EMAIL_FROM is not set: email routes need a sender address")
    parts = urlsplit(config.smtp_url.get_secret_value().strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in PORTS or not parts.hostname or port == -1:
        raise ConfigError(
            "SMTP_URL is not an SMTP URL (e.g. smtp://user:password@mail.example.com:587)"
        )
    return SmtpServer(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port or PORTS[parts.scheme],
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


@contextmanager
def smtp_session(server: SmtpServer) -> Iterator[smtplib.SMTP]:
    """A session: connected, EHLO, STARTTLS when offered, logged in when SMTP_URL has a user;
    QUIT at the end. Raises EmailDeliveryError naming the server and the step that failed."""
    tls = ssl.create_default_context()
    step = "connect to"
    try:
        smtp: smtplib.SMTP
        if server.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT, context=tls)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
        with smtp:
            step = "greet"
            smtp.ehlo()
            encrypted = server.scheme == "smtps"
            if not encrypted and smtp.has_extn("starttls"):
                step = "start TLS with"
                smtp.starttls(context=tls)
                smtp.ehlo()
                encrypted = True
            if server.user:
                if not encrypted and not server.on_this_machine:
                    raise EmailDeliveryError(
                        f"{server.shown} offers no STARTTLS: the password is not sent "
                        "unencrypted (use smtps:// or a server with STARTTLS)"
                    )
                step = f"log in as {server.user} at"
                smtp.login(server.user, server.password or "")
            step = "send through"
            yield smtp
    except smtplib.SMTPRecipientsRefused as exc:
        refused = "; ".join(
            f"{address} ({code} {_text(reply)})"
            for address, (code, reply) in exc.recipients.items()
        )
        raise EmailDeliveryError(f"{server.shown} refused the recipient {refused}") from None
    except smtplib.SMTPResponseException as exc:
        raise EmailDeliveryError(
            f"could not {step} {server.shown}: {exc.smtp_code} {_text(exc.smtp_error)}"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:  # refused, unreachable, TLS, timeout
        # smtplib turns a reply's timeout into SMTPServerDisconnected; the timeout is its cause
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            raise EmailTimeout(
                f"could not {step} {server.shown}: no answer within {TIMEOUT} s"
            ) from None
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise EmailDeliveryError(f"could not {step} {server.shown}: {reason}") from None


def text_message(sender: str, to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text email from `sender` to `to`."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text + "\n")
    return message


def mail(sender: str, to: str, message: Message) -> EmailMessage:
    """`message` as an email: its subject, its text, its files attached (a PDF as a PDF, a CSV
    table as text). Raises EmailDeliveryError when a file cannot be read."""
    mail = text_message(sender, to, " ".join(message.subject.split()), message.text)
    tables = message.tables() if message.tables else []
    for path in [*message.files, *tables]:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EmailDeliveryError(f"cannot read {path}: {exc.strerror}") from None
        if path.suffix == ".pdf":
            mail.add_attachment(data, "application", "pdf", filename=path.name)
        elif path.suffix == ".csv":
            mail.add_attachment(data, "text", "csv", filename=path.name)
        else:
            mail.add_attachment(data, "application", "octet-stream", filename=path.name)
    return mail


def send_report_email(
    config: EmailConfig,
    to: str,
    numbers: ReportNumbers,
    attachments: list[Path],
    language: str = "ko",
) -> None:
    """Email the report to `to` from EMAIL_FROM; raises ConfigError, EmailDeliveryError."""
    EmailSender(to, config).send(report_message(numbers, attachments, language, offer=False))


def _send(config: EmailConfig, message_from: Callable[[str], EmailMessage]) -> None:
    """Send the message `message_from` EMAIL_FROM writes (before connecting: a file that
    cannot be read costs no SMTP session)."""
    server = smtp_server(config)
    assert config.sender is not None  # smtp_server checked it
    message = message_from(config.sender)
    with smtp_session(server) as smtp:
        smtp.send_message(message)


class EmailSender:
    """An email address as a destination (delivery/protocol.py): the message's subject, text
    and files, from EMAIL_FROM through SMTP_URL."""

    def __init__(self, address: str, config: EmailConfig) -> None:
        self.address = address
        self.config = config

    @property
    def shown(self) -> str:
        return f"email:{self.address}"

    def ledger_key(self) -> str:
        return self.address

    def former_keys(self) -> set[str]:
        return set()

    def send(
        self, message: Message, *, on_receipt_id: Callable[[str], object] | None = None
    ) -> Receipt:
        _send(self.config, lambda sender: mail(sender, self.address, message))
        return Receipt()

    def resume(self, message: Message, receipt_id: str) -> Receipt | None:
        return None  # SMTP cannot be asked whether a message arrived


def _address(address: str) -> str:
    if not EMAIL_ADDRESS.match(address.strip()):
        raise ValueError(f"{address!r} is not an email address")
    return address.strip()


EMAIL = Kind(
    name="email",
    many=True,
    check=_address,
    shown=lambda address: f"email:{address}",
    same=str.lower,
    sender=lambda address, config: EmailSender(address, config.email),
)


@dataclass(frozen=True)
class SmtpAnswer:
    """What `check_smtp` found: the server (without its password), whether the session was
    encrypted, and the user it logged in as (None: no login)."""

    shown: str
    tls: bool
    user: str | None


def check_smtp(config: EmailConfig) -> SmtpAnswer:
    """doctor: connect, EHLO, STARTTLS, log in and quit, sending nothing; returns what
    worked. Raises ConfigError, EmailDeliveryError."""
    server = smtp_server(config)
    with smtp_session(server) as smtp:
        tls = isinstance(smtp.sock, ssl.SSLSocket)
    return SmtpAnswer(server.shown, tls, server.user)


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
