"""What is sent, built apart from how it is sent: a report, a delivered week's correction,
each as one `Message` in every form a destination may take (protocol.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiops_report.analysis.metrics import ReportNumbers
from aiops_report.analysis.restatement import Restatement
from aiops_report.data.periods import Period
from aiops_report.delivery.protocol import Message
from aiops_report.texts.messages import correction_lines, summary_lines


def mrkdwn(lines: list[str]) -> str:
    """Lines as one Slack mrkdwn message, the first (a title) in bold."""
    return "\n".join([f"*{lines[0]}*", *lines[1:]])


def report_message(
    numbers: ReportNumbers,
    files: list[Path],
    language: str,
    *,
    offer: bool = True,
    tables: Callable[[], list[Path]] | None = None,
) -> Message:
    """A report: its headline numbers as the text, its files (the PDF first), `tables` (its
    CSV tables, written for a destination that carries them), the numbers as a webhook's JSON
    (`generate --json`'s), and with `offer` the button to build the week again."""
    lines = summary_lines(numbers, language)
    return Message(
        subject=lines[0],
        text="\n".join(lines),
        markdown=mrkdwn(lines),
        files=tuple(files),
        document=numbers.to_dict(),
        headers={"X-Report-Week": numbers.period.start.isoformat()},
        offer=numbers.period if offer else None,
        tables=tables,
    )


def correction_message(
    period: Period,
    segment: str | None,
    restatement: Restatement,
    restated: ReportNumbers,
    pdf: Path,
    language: str,
) -> Message:
    """A delivered week's correction: the figures delivered and today's, the restated PDF;
    a webhook gets `{"restatement": {...}, **the restated numbers}` with X-Restatement: 1."""
    lines = correction_lines(period, segment, restatement, language)
    document: dict[str, Any] = {
        "restatement": {
            "week": period.start.isoformat(),
            "segment": segment,
            "delivered": dict(restatement.before),
            "current": dict(restatement.after),
            "moved": list(restatement.moved),
        },
        **restated.to_dict(),
    }
    return Message(
        subject=lines[0],
        text="\n".join(lines),
        markdown=mrkdwn(lines),
        files=(pdf,),
        document=document,
        headers={"X-Report-Week": period.start.isoformat(), "X-Restatement": "1"},
    )
