"""aiops-report: weekly operations reports of an AI chatbot, from its own tables.

The public API is imported on first use, so that `aiops-report --help` and a module such as
`aiops_report.errors` start without loading the analysis (scipy, the Korean analyser).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiops_report.analysis.metrics import ReportNumbers, compute
    from aiops_report.data.config import Settings, load_settings
    from aiops_report.data.periods import Period
    from aiops_report.errors import (
        AiopsReportError,
        ConfigError,
        DatabaseError,
        DatabaseUnreachable,
        InvalidInput,
        MissingColumn,
        MissingTable,
        SlackDeliveryError,
        StatementTimeout,
    )
    from aiops_report.jobs import generate_report, report_numbers, run_weekly

_HOMES = {
    "AiopsReportError": "errors",
    "ConfigError": "errors",
    "DatabaseError": "errors",
    "DatabaseUnreachable": "errors",
    "InvalidInput": "errors",
    "MissingColumn": "errors",
    "MissingTable": "errors",
    "SlackDeliveryError": "errors",
    "StatementTimeout": "errors",
    "generate_report": "jobs",
    "report_numbers": "jobs",
    "run_weekly": "jobs",
    "Period": "data.periods",
    "ReportNumbers": "analysis.metrics",
    "Settings": "data.config",
    "compute": "analysis.metrics",
    "load_settings": "data.config",
}

__all__ = [
    "AiopsReportError",
    "ConfigError",
    "DatabaseError",
    "DatabaseUnreachable",
    "InvalidInput",
    "MissingColumn",
    "MissingTable",
    "Period",
    "ReportNumbers",
    "Settings",
    "SlackDeliveryError",
    "StatementTimeout",
    "compute",
    "generate_report",
    "load_settings",
    "report_numbers",
    "run_weekly",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'aiops_report' has no attribute {name!r}")
    return getattr(import_module(f"aiops_report.{_HOMES[name]}"), name)
