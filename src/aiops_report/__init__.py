"""aiops-report: weekly operations reports of an AI chatbot, from its own tables."""

from aiops_report.config import Settings, load_settings
from aiops_report.errors import (
    AiopsReportError,
    ConfigError,
    DatabaseUnreachable,
    InvalidInput,
    MissingColumn,
    MissingTable,
)
from aiops_report.metrics import ReportNumbers, compute
from aiops_report.periods import Period

__all__ = [
    "AiopsReportError",
    "ConfigError",
    "DatabaseUnreachable",
    "InvalidInput",
    "MissingColumn",
    "MissingTable",
    "Period",
    "ReportNumbers",
    "Settings",
    "compute",
    "load_settings",
]
