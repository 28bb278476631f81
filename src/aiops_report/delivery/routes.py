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
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from aiops_report.data.config import Settings
from aiops_report.delivery.config import DeliveryConfig
from aiops_report.delivery.kinds import KINDS, kind_of
from aiops_report.delivery.protocol import Sender
from aiops_report.errors import ConfigError

KEY_LENGTH = 100  # report_runs.channel is a String(100)


class Route(BaseModel):
    """One [[route]]: the destinations that get the same report, one key per kind of
    destination (kinds.KINDS: `slack = [...]`, `email = [...]`, `webhook = "..."`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alerts: bool = False  # read by the alerts (watch): this route gets them too
    segment: str | None = None

    @field_validator("segment")
    @classmethod
    def _segment(cls, segment: str | None) -> str | None:
        if segment is not None and not segment.strip():
            raise ValueError("segment is empty (write a value of SCHEMA_FILE's segment column)")
        return segment

    @model_validator(mode="after")
    def _has_destination(self) -> Route:
        if not self.addresses():
            raise ValueError(f"a route needs {_kind_names()}")
        return self

    def addresses(self) -> list[tuple[str, str]]:
        """Each (kind, address) of the route, kind by kind in the order they were registered."""
        found: list[tuple[str, str]] = []
        for name in KINDS:
            value = getattr(self, name, None)
            found += [(name, address) for address in _listed(value)]
        return found


def _listed(value: object) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [str(value)]


def _kind_names() -> str:
    names = list(KINDS)
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def _checked(check: Callable[[str], str], value: Any) -> Any:
    if isinstance(value, list):
        return [check(address) for address in value]
    return None if value is None else check(value)


def route_model() -> type[Route]:
    """Route with a key for each registered kind of destination (a list of addresses, or
    one), each address checked by its kind."""
    fields: dict[str, Any] = {}
    validators: dict[str, Any] = {}
    for name, kind in KINDS.items():
        fields[name] = (list[str], Field(default_factory=list)) if kind.many else (str | None, None)
        check = partial(_checked, kind.check)
        validators[f"_check_{name}"] = field_validator(name)(lambda cls, v, c=check: c(v))
    return create_model("Route", __base__=Route, __validators__=validators, **fields)


@dataclass(frozen=True)
class Destination:
    """One place a report goes: a Slack channel, an email address, a webhook URL (or an
    address of any other registered kind)."""

    kind: str
    address: str  # a webhook URL may hold credentials: show `shown`, never this
    segment: str | None = None  # it gets this segment's report; None: the whole report

    @property
    def shown(self) -> str:
        """How messages and the ledger name it: the channel as written, `email:<address>`,
        `webhook:<URL without credentials, query or fragment>`; then ` [segment]` for a
        segment's report (so that one channel can get the whole and a segment's the same
        week)."""
        where = kind_of(self.kind).shown(self.address)
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

    def sender(self, config: DeliveryConfig) -> Sender:
        """A sender to this destination."""
        return kind_of(self.kind).sender(self.address, config)

    def ledger_key(self, sender: Sender) -> str:
        """What report_runs records its deliveries under: the sender's key for the address
        (a Slack channel's ID), with the segment. Raises what the sender raises."""
        return Destination(self.kind, sender.ledger_key(), self.segment).key

    def former_keys(self, sender: Sender) -> set[str]:
        """Keys its deliveries were recorded under before (a Slack channel's name)."""
        return {Destination(self.kind, key, self.segment).key for key in sender.former_keys()}


def load_routes(path: Path) -> list[Route]:
    """The routes of a DELIVERY_FILE; raises ConfigError naming the file and the problem."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"DELIVERY_FILE {path} cannot be read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"DELIVERY_FILE {path} is not valid TOML: {exc}") from None
    try:
        routes: Any = list[route_model()]  # type: ignore[misc]  # made at run time
        model = create_model(
            "DeliveryFile",
            __config__=ConfigDict(extra="forbid", frozen=True),
            route=(routes, Field(min_length=1)),
        )
        found: list[Route] = model.model_validate(document).route  # type: ignore[attr-defined]
        return found
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
    found: dict[tuple[str, str, str | None], Destination] = {}
    for route in load_routes(settings.delivery_file):
        if alerts and not route.alerts:
            continue
        for kind, address in route.addresses():
            same = KINDS[kind].same(address)  # `#AI-Reports` is `#ai-reports`
            found.setdefault((kind, same, route.segment), Destination(kind, address, route.segment))
    return list(found.values())
