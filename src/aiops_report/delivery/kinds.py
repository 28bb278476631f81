"""The kinds of destination DELIVERY_FILE may name: Slack, email and webhooks built in, and
any other registered here (`register`), which is then read from routes, sent reports,
corrections and alerts like the others, with no other module changed."""

from __future__ import annotations

from aiops_report.delivery.email import EMAIL
from aiops_report.delivery.protocol import Kind
from aiops_report.delivery.slack import SLACK
from aiops_report.delivery.webhook import WEBHOOK
from aiops_report.errors import ConfigError

KINDS: dict[str, Kind] = {kind.name: kind for kind in (SLACK, EMAIL, WEBHOOK)}
RESERVED = frozenset({"alerts", "segment"})  # a route's own keys


def register(kind: Kind) -> None:
    """Make `kind` a key of DELIVERY_FILE's routes; raises ConfigError when its name is taken
    by another kind or by a route's own key."""
    if kind.name in RESERVED or KINDS.get(kind.name, kind) is not kind:
        raise ConfigError(f"a kind of destination named {kind.name!r} exists already")
    KINDS[kind.name] = kind


def unregister(name: str) -> None:
    """Forget the kind `name` (a test's, once done)."""
    KINDS.pop(name, None)


def kind_of(name: str) -> Kind:
    """The registered kind `name`; raises ConfigError when there is none."""
    try:
        return KINDS[name]
    except KeyError:
        raise ConfigError(f"no kind of destination is named {name!r}") from None
