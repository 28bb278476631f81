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


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """`text` escaped for the Markdown of st.info / st.error, so that it shows as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
