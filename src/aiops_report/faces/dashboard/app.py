"""The standalone dashboard, for `streamlit run` (what `aiops-report dashboard` starts)."""

import streamlit as st

from aiops_report.faces.dashboard import admin_panel

st.set_page_config(page_title="aiops-report", page_icon=":material/monitoring:", layout="wide")
admin_panel()
