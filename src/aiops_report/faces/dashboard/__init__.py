"""The Streamlit admin dashboard: `admin_panel()` renders it inside any Streamlit app.

from aiops_report.faces.dashboard import admin_panel
admin_panel()

It needs the extra [dashboard]: without it, importing this package raises MissingExtra (an
ImportError) naming it. `admin_panel` is imported when it is first asked for, so that the
launcher (`server`) starts without loading Streamlit: defining the pages' caches outside a
Streamlit run is what prints Streamlit's "No runtime found" warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiops_report.extras import require

require("dashboard", "the dashboard")

if TYPE_CHECKING:
    from aiops_report.faces.dashboard.panel import admin_panel

__all__ = ["admin_panel"]


def __getattr__(name: str) -> Any:
    if name == "admin_panel":
        from aiops_report.faces.dashboard.panel import admin_panel

        return admin_panel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
