"""The weekly PDF report: `write_report` builds it, `font_status` tells which font it embeds."""

from aiops_report.report.document import write_report
from aiops_report.report.fonts import FontStatus, font_status

__all__ = ["FontStatus", "font_status", "write_report"]
