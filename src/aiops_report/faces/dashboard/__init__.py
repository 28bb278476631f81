"""The Streamlit admin dashboard: `admin_panel()` renders it inside any Streamlit app.

from aiops_report.faces.dashboard import admin_panel
admin_panel()
"""

from aiops_report.faces.dashboard.panel import admin_panel

__all__ = ["admin_panel"]
