"""How the dashboard shows its words: the report's words for it, a change as st.metric's delta,
text made plain for Streamlit's markdown."""

from __future__ import annotations

import re

from aiops_report.analysis.formulas import Change
from aiops_report.texts.formats import format_change
from aiops_report.texts.report import DOWN, NONE, UP, Texts


def delta_text(name: str, change: Change, texts: Texts) -> str | None:
    """A change as st.metric's delta: "+60 (+3.0%)", "-10.4%p"; None when unknown.

    The report's ▲/▼ marks are left out: st.metric draws its own arrow from the sign.
    """
    text = format_change(name, change, texts)
    if text == NONE:
        return None
    return text.removeprefix(UP).removeprefix(DOWN).strip()


# The longest delta a KPI card shows whole in a row of five on a laptop's screen: st.metric
# cuts a longer one ("+323,236 (+113.…").
CARD_DELTA_CHARS = 14


def card_delta(name: str, change: Change, texts: Texts) -> str | None:
    """`delta_text`, or only its relative part ("+113.8%") when the whole would not fit a
    card; the card's help then holds the whole."""
    text = delta_text(name, change, texts)
    if text is None or len(text) <= CARD_DELTA_CHARS or change.relative is None:
        return text
    return f"{change.relative * 100:+.1f}%"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """`text` escaped for the Markdown of st.info / st.error, so that it shows as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
