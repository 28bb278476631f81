"""The exceptions aiops-report raises, each named for what went wrong.

Every message is one line a user can act on; the CLI prints it and exits non-zero.
"""


def one_line(exc: BaseException) -> str:
    """How `exc` is recorded and shown: our errors' message; for any other, its type and the
    first line of its message (a database error's SQL and links left out)."""
    if isinstance(exc, AiopsReportError):
        return str(exc)
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class AiopsReportError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(AiopsReportError):
    """A setting has an invalid value."""


class MissingDatabaseFile(ConfigError):
    """DATABASE_URL names a SQLite file that does not exist (a mistyped path)."""


class DatabaseUnreachable(AiopsReportError):
    """The database server cannot be reached or refused the connection."""


class DatabaseError(AiopsReportError):
    """The database refused a statement (a lock, a permission, a broken table)."""


class StatementTimeout(DatabaseError):
    """A statement ran longer than STATEMENT_TIMEOUT and the database stopped it."""


class LockTimeout(DatabaseError):
    """A statement waited too long for a lock another session holds, and was stopped."""


class MissingTable(AiopsReportError):
    """A table the report reads does not exist."""


class MissingColumn(AiopsReportError):
    """A table lacks a column the report requires."""


class InvalidInput(AiopsReportError):
    """A command-line value cannot be used (for example a week that is not a date)."""


class DateOutOfRange(InvalidInput):
    """A date the reports cannot cover: before 1900, or so late that its week cannot end."""


class WeekNotStarted(InvalidInput):
    """A week asked for starts in the future: there is nothing to report yet."""


class WeekNotOver(InvalidInput):
    """A week still in progress was asked to be delivered: only complete weeks are delivered."""


class FontMissing(AiopsReportError):
    """The TrueType font with Hangul that the PDF embeds is not installed or not readable."""


class ReportNotWritten(AiopsReportError):
    """The report's folder cannot hold its files (a file in its path, read-only, a full disk)."""


class DeliveryTimeout(AiopsReportError):
    """A destination did not answer in time (Slack, an SMTP server, a webhook): a run does not
    try it again; the next run does."""


class SlackDeliveryError(AiopsReportError):
    """Slack refused the report (token, channel, scope, membership); the message names the fix."""


class SlackNotConfigured(SlackDeliveryError):
    """No SLACK_BOT_TOKEN is set, so the report is written but not uploaded."""


class SlackChannelRefused(SlackDeliveryError):
    """Slack will not let the bot post in the channel: not a member (or private without it)."""


class SlackUnavailable(SlackDeliveryError):
    """Slack could not be reached, answered 5xx or kept rate limiting: trying later may work."""


class SlackTimeout(SlackUnavailable, DeliveryTimeout):
    """Slack did not answer in time: the file may be posted anyway, so check before resending."""


class InvalidPriceTable(ConfigError):
    """The MODEL_PRICES file cannot be read or does not have the documented shape."""


class EmailDeliveryError(AiopsReportError):
    """The SMTP server refused the report or could not be reached (SMTP_URL, EMAIL_FROM)."""


class EmailTimeout(EmailDeliveryError, DeliveryTimeout):
    """The SMTP server did not answer in time."""


class WebhookDeliveryError(AiopsReportError):
    """A webhook refused the report (a non-2xx answer) or could not be reached."""


class WebhookTimeout(WebhookDeliveryError, DeliveryTimeout):
    """A webhook did not answer in time."""


class DeliveryFailed(AiopsReportError):
    """Some destinations of DELIVERY_FILE failed; the others were delivered (the message says
    which)."""


class MissingExtra(AiopsReportError, ImportError):
    """A part needs an optional extra that is not installed (`extras.require`); an ImportError
    too, so that `import aiops_report.faces.dashboard` without it fails as imports do."""


class KnownWrongReport(AiopsReportError):
    """The week's report would be known to be wrong (a mapping that reads the rows wrongly):
    it is not delivered; the message names the SCHEMA_FILE key to fix."""
