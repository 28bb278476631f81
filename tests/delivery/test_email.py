"""Email through a real SMTP server (aiosmtpd): login, STARTTLS, refusals; no password shown."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from aiops_report.data.config import load_settings
from aiops_report.delivery.config import EmailConfig
from aiops_report.delivery.email import SmtpAnswer, check_smtp, send_report_email
from aiops_report.errors import ConfigError, EmailDeliveryError
from mail_server import MailServer, free_port, mail_server_fixture  # noqa: F401  (its fixture)
from report.report_numbers import week

PASSWORD = "s3cret-pa55"


def smtp_settings(url: str) -> EmailConfig:
    return EmailConfig.of(
        load_settings(smtp_url=SecretStr(url), email_from="aiops-report@example.com")
    )


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "weekly_report_2026_11_23.pdf"
    path.write_bytes(b"%PDF-1.4 a report\n%%EOF\n")
    return path


@pytest.fixture
def tls_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1, trusted by this process (SSL_CERT_FILE)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_a_login_on_a_local_relay_is_checked_without_sending() -> None:
    with MailServer(users={"reports": PASSWORD}) as mail:
        answer = check_smtp(smtp_settings(f"smtp://reports:{PASSWORD}@127.0.0.1:{mail.port}"))

    assert answer == SmtpAnswer(f"smtp://127.0.0.1:{mail.port}", tls=False, user="reports")
    assert mail.logins == ["reports"] and mail.messages == []


def test_starttls_is_used_when_offered(tls_certificate: ssl.SSLContext, pdf: Path) -> None:
    with MailServer(users={"reports": PASSWORD}, tls=tls_certificate) as mail:
        settings = smtp_settings(f"smtp://reports:{PASSWORD}@127.0.0.1:{mail.port}")
        answer = check_smtp(settings)
        send_report_email(settings, "ops@example.com", week(), [pdf])

    assert answer.tls and answer.user == "reports"
    [message] = mail.messages
    [attachment] = message.iter_attachments()
    assert attachment.get_content() == pdf.read_bytes()
    assert mail.logins == ["reports", "reports"]


def test_a_wrong_password_is_one_line_without_it() -> None:
    with (
        MailServer(users={"reports": PASSWORD}) as mail,
        pytest.raises(EmailDeliveryError) as raised,
    ):
        check_smtp(smtp_settings(f"smtp://reports:wrong-{PASSWORD}@127.0.0.1:{mail.port}"))

    message = str(raised.value)
    assert message.startswith(f"could not log in as reports at smtp://127.0.0.1:{mail.port}: 535")
    assert PASSWORD not in message and "\n" not in message


def test_an_unreachable_server_is_named() -> None:
    port = free_port()
    with pytest.raises(EmailDeliveryError, match=f"could not connect to smtp://127.0.0.1:{port}"):
        check_smtp(smtp_settings(f"smtp://reports:{PASSWORD}@127.0.0.1:{port}"))


def test_a_refused_message_names_the_answer(mail_server: MailServer, pdf: Path) -> None:
    mail_server.refuse_next = 1

    with pytest.raises(EmailDeliveryError, match=r"451 4\.3\.0 try again later"):
        send_report_email(smtp_settings(mail_server.url), "ops@example.com", week(), [pdf])


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({}, "SMTP_URL is not set"),
        ({"smtp_url": SecretStr("smtp://127.0.0.1:25")}, "EMAIL_FROM is not set"),
        (
            {"smtp_url": SecretStr("http://u:p@mail:25"), "email_from": "a@example.com"},
            "SMTP_URL is not an SMTP URL",
        ),
    ],
)
def test_missing_settings_are_named(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        check_smtp(EmailConfig.of(load_settings(**changes)))
