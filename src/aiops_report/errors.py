"""The exceptions aiops-report raises, each named for what went wrong.

Every message is one line a user can act on; the CLI prints it and exits non-zero.
"""


class AiopsReportError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(AiopsReportError):
    """A setting has an invalid value."""


class DatabaseUnreachable(AiopsReportError):
    """The database server cannot be reached or refused the connection."""


class MissingTable(AiopsReportError):
    """A table the report reads does not exist."""


class MissingColumn(AiopsReportError):
    """A table lacks a column the report requires."""


class InvalidInput(AiopsReportError):
    """A command-line value cannot be used (for example a week that is not a date)."""
