"""The destination protocol: what every kind of destination (Slack, email, webhook, and any
other registered in `kinds`) does, and the message it is given.

A `Message` carries each form a destination may take (a line, plain text, Slack's mrkdwn,
files, a JSON document): a destination picks what it can carry, so that a report, a
correction and an alert each go everywhere through one `send`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiops_report.data.periods import Period
from aiops_report.delivery.config import DeliveryConfig


@dataclass(frozen=True)
class Message:
    """One thing to send, in every form: `subject` (an email's subject, a file's title),
    `text` (plain, the subject first), `markdown` (Slack's mrkdwn of the same), `files` (the
    PDF first), `document` and `headers` (a webhook's JSON body and its extra headers), and
    `offer` (a week whose "Generate report now" button follows, where there are buttons),
    `tables` (more files, written only for a destination that carries them all: an email)."""

    subject: str
    text: str
    markdown: str
    files: tuple[Path, ...] = ()
    document: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    offer: Period | None = None
    tables: Callable[[], list[Path]] | None = None


@dataclass(frozen=True)
class Receipt:
    """What a destination says of a message it took: an id it can later be asked about
    (Slack's file id) and a link to it, when it has them."""

    id: str | None = None
    link: str | None = None


class Sender(Protocol):
    """One destination, ready to send. `shown` names it in messages (no credentials)."""

    @property
    def shown(self) -> str: ...

    def ledger_key(self) -> str:
        """What the ledger records its deliveries under (the same for every spelling)."""
        ...

    def former_keys(self) -> set[str]:
        """Keys earlier versions recorded its deliveries under (not sent to again)."""
        ...

    def send(
        self, message: Message, *, on_receipt_id: Callable[[str], object] | None = None
    ) -> Receipt:
        """Send `message`; `on_receipt_id` learns the receipt's id as soon as there is one
        (before the send completes). Raises the destination's own AiopsReportError."""
        ...

    def resume(self, message: Message, receipt_id: str) -> Receipt | None:
        """Finish a send of `message` interrupted after `receipt_id` was known: its receipt
        when it reached the destination anyway (and what follows it is sent), None when it
        must be sent again (always None where the destination cannot tell)."""
        ...


@dataclass(frozen=True)
class Kind:
    """A kind of destination: how DELIVERY_FILE names it, how an address of it is checked,
    shown and compared, and how a sender to one address is made (`kinds.register`)."""

    name: str  # the route's key, and Destination.kind
    many: bool  # a route lists several (slack = ["#a", "#b"]) or names one (webhook = "…")
    check: Callable[[str], str]  # the address cleaned up; ValueError saying what is wrong
    shown: Callable[[str], str]  # how messages and the ledger name it (no credentials)
    same: Callable[[str], str]  # what two spellings of one destination have in common
    sender: Callable[[str, DeliveryConfig], Sender]
