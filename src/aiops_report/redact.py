"""The one place that hides credentials in URLs: a webhook's, SLACK_API_URL's, any URL in a
message or a log line. Whatever names a destination or reports an error goes through here."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

# The user and password of a URL: `scheme://user:password@`, up to the last `@` before the
# path, so that an unencoded `@` in the password is hidden too.
URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#]*@")


def hide_credentials(text: str) -> str:
    """`text` with the user and password of every URL in it shown as `***`.

    `http://user:pass@proxy:8080/api/` becomes `http://***@proxy:8080/api/`, as a database
    URL's password is hidden; a URL without credentials is unchanged.
    """
    return URL_CREDENTIALS.sub(r"\1***@", text)


def shown_url(url: str) -> str:
    """`url` without its user, password, query and fragment (where secrets travel)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, without_credentials(parts.netloc), parts.path, "", ""))


def without_credentials(netloc: str) -> str:
    """A URL's `user:password@host:port` as `host:port`."""
    return netloc.rpartition("@")[2]


class HideCredentials(logging.Filter):
    """On a handler: every record it writes, of any library, with the credentials of each URL
    in its message and its traceback hidden (slack_bolt and slack_sdk log each request's and
    each retry's URL; a database driver's error may carry its URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = hide_credentials(message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = hide_credentials(record.exc_text)
        if record.stack_info:
            record.stack_info = hide_credentials(record.stack_info)
        return True
