"""DELIVERY_FILE: routes read and checked, each problem one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops_report.data.config import load_settings
from aiops_report.delivery.routes import Destination, destinations, load_routes
from aiops_report.errors import ConfigError

EXAMPLE = """
[[route]]
slack = ["#ai-reports", "#cs-leads"]
email = ["ops-lead@example.com"]
webhook = "https://hooks.example.com/ai"
alerts = true
[[route]]
slack = ["#AI-Reports", "C0SHOP00001"]
email = ["OPS-LEAD@example.com", "shop@example.com"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routes.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_readme_example_lists_each_destination_once(tmp_path: Path) -> None:
    settings = load_settings(delivery_file=write(tmp_path, EXAMPLE))

    found = destinations(settings)

    assert [d.shown for d in found] == [
        "#ai-reports",
        "#cs-leads",
        "email:ops-lead@example.com",
        "webhook:https://hooks.example.com/ai",
        "C0SHOP00001",
        "email:shop@example.com",
    ]
    assert [d.shown for d in destinations(settings, alerts=True)] == [
        "#ai-reports",
        "#cs-leads",
        "email:ops-lead@example.com",
        "webhook:https://hooks.example.com/ai",
    ]


def test_without_the_file_slack_channel_alone() -> None:
    settings = load_settings(slack_channel="#team-reports")

    assert destinations(settings) == [Destination("slack", "#team-reports")]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[[route]\nslack = 1", "is not valid TOML"),
        ('[[route]]\nemail = ["not-an-address"]', "route 1 email: 'not-an-address' is not an"),
        ('[[route]]\nwebhook = "ftp://user:pw@host/x"', "'ftp://host/x' is not an http(s) URL"),
        ('[[route]]\nslack = ["#a"]\nchannel = "#b"', "route 1 channel: unknown key"),
        ('[[route]]\nslack = ["#a"]\n[[route]]\nalerts = true', "route 2: Value error"),
        ('[[route]]\nsegment = " "\nslack = ["#a"]', "route 1 segment: segment is empty"),
        ("", "route: Field required"),
    ],
)
def test_a_bad_file_is_one_line_naming_it(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(ConfigError) as raised:
        load_routes(path)

    message = str(raised.value)
    assert message.startswith(f"DELIVERY_FILE {path}")
    assert problem.replace("Value error", "a route needs slack, email or webhook") in message
    assert "\n" not in message and "pw" not in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"routes.toml cannot be read: No such file"):
        load_routes(tmp_path / "routes.toml")


def test_webhook_keys_hide_credentials_and_fit_the_ledger() -> None:
    secret = Destination("webhook", "https://user:pw@hooks.example.com/ai?token=t0k#frag")
    long = Destination("webhook", "https://hooks.example.com/" + "x" * 200)

    assert secret.key == secret.shown == "webhook:https://hooks.example.com/ai"
    assert len(long.key) == 100 and long.key != Destination("webhook", long.address + "y").key
