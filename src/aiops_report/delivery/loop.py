"""The one delivery loop: claim → build → send → record, for every kind of destination.

`deliver_once` delivers a week's report to one destination once, however often and by
however many processes it is called (the claim is `report_runs`' lease); `restate_once`
sends one correction of a delivered week once per change (the claim is `report_once`).
What is sent is built by the caller's `build`, only once the claim is won.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.exc import SQLAlchemyError

from aiops_report.data.periods import Period
from aiops_report.delivery.protocol import Message, Sender
from aiops_report.delivery.runs import LEASE, Run, RunLedger, Status
from aiops_report.errors import SlackNotConfigured, one_line

# What a report's build hands the loop: the message, its PDF, and the figures it carries.
Built = tuple[Message, Path, dict[str, float | None]]


@dataclass(frozen=True)
class Sent:
    """What one destination's loop did: delivered now, or skipped and why."""

    status: Literal["delivered", "skipped"]
    message: str
    run: Run


def deliver_once(
    ledger: RunLedger,
    period: Period,
    sender: Sender,
    build: Callable[[Run], Built],
    *,
    key: str,
    formerly: set[str],
    segment: str | None = None,
    force: bool = False,
) -> Sent:
    """Claim the week for the destination `key` (unless delivered, also under a key it
    `formerly` had, or held by another run), `build` the message, send it, and record the
    run delivered with the figures it carried.

    A send interrupted after the destination gave a receipt id is resumed, not repeated.
    Whatever stops the run is recorded (failed; "generated" when the destination is not
    configured) and raised, so that the next run retries at once.
    """
    claim = ledger.claim(period, key, force=force, shown=sender.shown, formerly=formerly)
    if not claim.claimed:
        return Sent("skipped", claim.reason, claim.run)
    run = claim.run
    try:
        message, path, figures = build(run)
        # A forced run sends anew: the receipt an earlier run had does not count for it.
        forget = {"slack_file_id": None, "permalink": None} if force else {}
        # The run stays "running" (its lease holding the week) until the send is done.
        run = ledger.update(run.id, file_path=str(path), error=None, **forget)
        receipt = sender.resume(message, run.slack_file_id) if run.slack_file_id else None
        done = f"{path.name} had reached {sender.shown} already"
        if receipt is None:
            receipt = sender.send(
                message, on_receipt_id=lambda id: ledger.update(run.id, slack_file_id=id)
            )
            done = f"{path.name} delivered to {sender.shown}"
    except SlackNotConfigured as exc:
        end_claim(ledger, run, "generated", exc)
        raise SlackNotConfigured(f"{exc}: {run.file_path}") from None
    except Exception as exc:
        # Whatever stopped the run (a full disk, a locked database, a bug), the week must not
        # stay claimed until the lease ends: recorded as failed, the next run retries it.
        end_claim(ledger, run, "failed", exc)
        raise
    run = ledger.update(
        run.id,
        status="delivered",
        slack_file_id=receipt.id or run.slack_file_id,
        permalink=receipt.link,
        error=None,
        lease_until=None,
    )
    ledger.keep_figures(run.id, segment, figures)
    return Sent("delivered", done, run)


def end_claim(ledger: RunLedger, run: Run, status: Status, exc: Exception) -> None:
    """Record why a claimed run stopped and release its week; when the ledger cannot be
    written either (its database is down or locked), add a note to `exc` saying so."""
    try:
        ledger.update(run.id, status=status, error=one_line(exc), lease_until=None)
    except SQLAlchemyError:
        exc.add_note(
            f"the week stays claimed until {run.lease_until:%H:%M} UTC: "
            "the failure could not be recorded in report_runs"
        )


def restate_once(
    ledger: RunLedger,
    run: Run,
    sender: Sender,
    before: Mapping[str, float | None],
    build: Callable[[], tuple[Message, dict[str, float | None]]],
    *,
    segment: str | None,
    since: str = "",
) -> bool:
    """Send the correction of the figures `run` delivered (`before`, kept `since` then) once,
    whoever tries: claimed by the run and those figures, so that each change is posted once;
    then keep the figures sent, against which the next change is measured. True when this
    call sent it.

    A build or a send that fails is forgotten, so that the next run tries again; raises it.
    A claim whose process died on the way is taken over once its LEASE has passed.
    """
    claim = f"restate:{run.id}:{fingerprint({**before, '': since})}"
    if not ledger.first_time(claim, lease=LEASE):
        return False
    try:
        message, after = build()
        sender.send(message)
    except Exception:  # whatever stopped it, the next run tries again
        ledger.forget(claim)
        raise
    ledger.keep_figures(run.id, segment, after)
    ledger.update(run.id)  # its updated_at says when the week was last restated
    ledger.done(claim)
    return True


def fingerprint(figures: Mapping[str, object]) -> str:
    """A short digest of figures, the same in every process."""
    text = json.dumps(dict(figures), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
