"""DELIVERY_FILE: where the weekly report goes, as routes of Slack channels, email addresses
and webhooks (docs/delivery.md, "Where reports go").

    [[route]]
    slack = ["#ai-reports", "#cs-leads"]
    email = ["ops-lead@example.com"]
    webhook = "https://hooks.example.com/ai"
    [[route]]
    segment = "shop-bot"              # this route gets that segment's report only
    slack = ["#shop-ai"]

Without the file the report goes to SLACK_CHANNEL alone, as it always did.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from aiops_report.data.config import Settings
from aiops_report.errors import ConfigError

Kind = Literal["slack", "email", "webhook"]
# Deliberately loose: one @, no spaces, a dot in the domain; the SMTP server judges the rest.
EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KEY_LENGTH = 100  # report_runs.channel is a String(100)


class Route(BaseModel):
    """One [[route]]: the destinations that get the same report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slack: list[str] = Field(default_factory=list)
    email: list[str] = Field(default_factory=list)
    webhook: str | None = None
    alerts: bool = False  # read by the alerts (watch): this route gets them too
    segment: str | None = None

    @field_validator("slack")
    @classmethod
    def _channels(cls, channels: list[str]) -> list[str]:
        if any(not channel.strip() for channel in channels):
            raise ValueError("a Slack channel is empty (write #name or its ID C…)")
        return [channel.strip() for channel in channels]

    @field_validator("email")
    @classmethod
    def _addresses(cls, addresses: list[str]) -> list[str]:
        for address in addresses:
            if not EMAIL_ADDRESS.match(address.strip()):
                raise ValueError(f"{address!r} is not an email address")
        return [address.strip() for address in addresses]

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{shown_url(url)!r} is not an http(s) URL")
        return url.strip()

    @field_validator("segment")
    @classmethod
    def _segment(cls, segment: str | None) -> str | None:
        if segment is not None and not segment.strip():
            raise ValueError("segment is empty (write a value of SCHEMA_FILE's segment column)")
        return segment

    @model_validator(mode="after")
    def _has_destination(self) -> Route:
        if not (self.slack or self.email or self.webhook):
            raise ValueError("a route needs slack, email or webhook")
        return self


class DeliveryFile(BaseModel):
    """The whole file: one or more [[route]] tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    route: list[Route] = Field(min_length=1)


@dataclass(frozen=True)
class Destination:
    """One place a report goes: a Slack channel, an email address or a webhook URL."""

    kind: Kind
    address: str  # a webhook URL may hold credentials: show `shown`, never this
    segment: str | None = None  # it gets this segment's report; None: the whole report

    @property
    def shown(self) -> str:
        """How messages and the ledger name it: the channel as written, `email:<address>`,
        `webhook:<URL without credentials, query or fragment>`; then ` [segment]` for a
        segment's report (so that one channel can get the whole and a segment's the same
        week)."""
        if self.kind == "slack":
            where = self.address
        elif self.kind == "email":
            where = f"email:{self.address}"
        else:
            where = f"webhook:{shown_url(self.address)}"
        return where if self.segment is None else f"{where} [{self.segment}]"

    @property
    def key(self) -> str:
        """Its key in report_runs.channel: `shown`, made to fit the column by a hash of the
        rest when longer."""
        shown = self.shown
        if len(shown) <= KEY_LENGTH:
            return shown
        digest = hashlib.sha256(shown.encode()).hexdigest()[:16]
        return f"{shown[: KEY_LENGTH - len(digest) - 1]}~{digest}"


def shown_url(url: str) -> str:
    """`url` without its user, password, query and fragment (where secrets travel)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def load_routes(path: Path) -> list[Route]:
    """The routes of a DELIVERY_FILE; raises ConfigError naming the file and the problem."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"DELIVERY_FILE {path} cannot be read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"DELIVERY_FILE {path} is not valid TOML: {exc}") from None
    try:
        return DeliveryFile.model_validate(document).route
    except ValidationError as exc:
        problems = "; ".join(_problem(error) for error in exc.errors())
        raise ConfigError(f"DELIVERY_FILE {path}: {problems}") from None


def _problem(error: ErrorDetails) -> str:
    """One validation error as `route 2 email: 'x' is not an email address`."""
    place: list[str] = []
    for part in error["loc"]:
        if isinstance(part, int):
            place.append(f"{part + 1}" if place and place[-1] == "route" else f"[{part}]")
        else:
            place.append(str(part))
    message = str(error["msg"]).removeprefix("Value error, ")
    message = message.replace("Extra inputs are not permitted", "unknown key")
    return f"{' '.join(place)}: {message}"


def destinations(settings: Settings, *, alerts: bool = False) -> list[Destination]:
    """Every destination of DELIVERY_FILE (with `alerts`, of its routes marked alerts = true),
    each once per report (whole or a segment's) and in the file's order; SLACK_CHANNEL alone
    without the file. Raises ConfigError for a bad file."""
    if settings.delivery_file is None:
        return [Destination("slack", settings.slack_channel.strip())]
    found: dict[tuple[Kind, str, str | None], Destination] = {}
    for route in load_routes(settings.delivery_file):
        if alerts and not route.alerts:
            continue
        listed: list[Destination] = [
            *(Destination("slack", channel, route.segment) for channel in route.slack),
            *(Destination("email", address, route.segment) for address in route.email),
            *([Destination("webhook", route.webhook, route.segment)] if route.webhook else []),
        ]
        for destination in listed:
            # Channels and addresses are the same whatever their case; a URL's path is not.
            same = destination.address
            if destination.kind != "webhook":
                same = same.lower()
            found.setdefault((destination.kind, same, route.segment), destination)
    return list(found.values())
