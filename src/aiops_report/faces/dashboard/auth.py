"""Who may see the admin panel: Streamlit's OIDC login, or the ADMIN_PASSWORD form.

ADMIN_PASSWORD holds the password itself, or its hash in Django's format,
`pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte PBKDF2-HMAC-SHA256 key>`, which
`python -m aiops_report.faces.dashboard.auth` prints for a password typed at its prompt.

Failed logins are counted by the Streamlit server, for all its sessions together (a reload or
a new browser session starts with the same count), per client address: after FREE_ATTEMPTS
failures each further attempt must wait twice as long as the one before (5 s, 10 s, 20 s, … up
to MAX_LOCKOUT), until an hour (FORGET_AFTER) passes without a failure. Whatever the address,
once CEILING attempts failed within CEILING_WINDOW nobody may try until the oldest of them is
that old, so that rotating addresses does not help. The address is the connection's peer
(st.context.ip_address), never a header a client could forge: behind a reverse proxy every
visitor has the proxy's address and shares its count. The count lives in the server's memory:
restarting the server, or each replica of several, starts from zero.
"""

from __future__ import annotations

import base64
import contextlib
import getpass
import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import streamlit as st

from aiops_report.data.config import Settings

HASH_ALGORITHM = "pbkdf2_sha256"
HASH_ITERATIONS = 600_000  # OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256
FREE_ATTEMPTS = 3
FIRST_LOCKOUT = 5.0  # seconds
MAX_LOCKOUT = 900.0
FORGET_AFTER = 3600.0  # an address's failures are forgotten after this long without one
CEILING = 30  # failed logins from all addresses together, within
CEILING_WINDOW = 900.0  # seconds
LOOPBACK = "localhost"  # the address of this machine (st.context.ip_address says None)

LOGGED_IN = "aiops_admin_logged_in"

log = logging.getLogger(__name__)


def hash_password(password: str, *, iterations: int = HASH_ITERATIONS, salt: str = "") -> str:
    """The ADMIN_PASSWORD value that stands for `password` (a new random salt by default)."""
    salt = salt or secrets.token_urlsafe(16)
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{HASH_ALGORITHM}${iterations}${salt}${base64.b64encode(key).decode()}"


def password_matches(given: str, configured: str) -> bool:
    """Whether `given` is the configured password (plain or hashed), compared in constant time."""
    if configured.startswith(HASH_ALGORITHM + "$"):
        try:
            _, iterations, salt, expected = configured.split("$")
            key = hashlib.pbkdf2_hmac("sha256", given.encode(), salt.encode(), int(iterations))
            return hmac.compare_digest(key, base64.b64decode(expected, validate=True))
        except ValueError:  # a malformed hash matches nothing
            return False
    # Digests of both sides have equal lengths, so not even the length leaks.
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(configured.encode()).digest()
    )


def lockout_seconds(failures: int) -> float:
    """How long a session must wait before its next attempt after `failures` failures."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(FIRST_LOCKOUT * 2.0 ** (failures - FREE_ATTEMPTS), MAX_LOCKOUT)


@dataclass(frozen=True)
class Lockout:
    """Why and until when (a time.time() value) a login attempt is refused."""

    until: float
    everyone: bool  # the CEILING of all addresses, not this address's own failures


@dataclass
class _Failures:
    count: int
    last: float


class LoginThrottle:
    """Failed logins per client address and in total, shared by the threads of all sessions.

    An attempt is counted as failed as soon as it starts (`attempt`), before the password is
    checked, and taken back when it succeeds (`succeeded`): sessions submitting at the same
    moment cannot all slip in before the first failure is recorded.
    """

    def __init__(
        self,
        *,
        ceiling: int = CEILING,
        ceiling_window: float = CEILING_WINDOW,
        forget_after: float = FORGET_AFTER,
    ) -> None:
        self._lock = threading.Lock()
        self._addresses: dict[str, _Failures] = {}
        self._recent: deque[float] = deque(maxlen=ceiling)  # the last failures, of any address
        self._ceiling_window = ceiling_window
        self._forget_after = forget_after

    def attempt(self, address: str, now: float) -> Lockout | None:
        """Count an attempt from `address` (as failed, until `succeeded`), or return the
        Lockout that refuses it (then it is not counted)."""
        with self._lock:
            refused = self._lockout(address, now)
            if refused is None:
                failures = self._addresses.setdefault(address, _Failures(0, now))
                failures.count += 1
                failures.last = now
                self._recent.append(now)
            return refused

    def succeeded(self, address: str, at: float) -> None:
        """The attempt of `address` made `at` was right: forget its failures (only its own)."""
        with self._lock:
            self._addresses.pop(address, None)
            with contextlib.suppress(ValueError):  # pushed out of the window already
                self._recent.remove(at)

    def lockout(self, address: str, now: float) -> Lockout | None:
        """What refuses the next attempt of `address` at `now`, if anything."""
        with self._lock:
            return self._lockout(address, now)

    def failures(self, address: str) -> int:
        """The failures of `address` still counted."""
        with self._lock:
            failures = self._addresses.get(address)
            return 0 if failures is None else failures.count

    def _lockout(self, address: str, now: float) -> Lockout | None:
        # Forget the quiet addresses first, so that rotating addresses cannot fill the memory.
        for quiet in [a for a, f in self._addresses.items() if now - f.last >= self._forget_after]:
            del self._addresses[quiet]
        full = len(self._recent) == self._recent.maxlen
        if full and now - self._recent[0] < self._ceiling_window:  # CEILING failures in the window
            return Lockout(until=self._recent[0] + self._ceiling_window, everyone=True)
        failures = self._addresses.get(address)
        if failures is not None:
            until = failures.last + lockout_seconds(failures.count)
            if until > now:
                return Lockout(until=until, everyone=False)
        return None


@st.cache_resource(show_spinner=False)
def login_throttle() -> LoginThrottle:
    """The LoginThrottle of this Streamlit server (one for all its sessions)."""
    return LoginThrottle()


def client_address() -> str:
    """The address the visitor's browser connects from (the TCP peer, not a header)."""
    address = st.context.ip_address
    # None from this machine; not a string where no browser is connected (AppTest's mock).
    return address if isinstance(address, str) and address else LOOPBACK


def oidc_configured() -> bool:
    """Whether Streamlit's secrets have an `[auth]` section (then st.login is used)."""
    return st.secrets.load_if_toml_exists() and "auth" in st.secrets


def is_open(settings: Settings) -> bool:
    """No login at all: neither OIDC nor ADMIN_PASSWORD is configured."""
    return settings.admin_password is None and not oidc_configured()


def gate(settings: Settings, t: Mapping[str, str]) -> bool:
    """Show the login when needed; True when the visitor may see the panel."""
    if oidc_configured():
        if st.user.is_logged_in:
            return True
        st.subheader(t["login_heading"])
        st.button(t["login_sso"], on_click=st.login, type="primary", key="aiops_login_sso")
        return False
    if settings.admin_password is None or st.session_state.get(LOGGED_IN):
        return True
    _password_form(settings, settings.admin_password.get_secret_value(), t)
    return bool(st.session_state.get(LOGGED_IN))


def _password_form(settings: Settings, configured: str, t: Mapping[str, str]) -> None:
    _, middle, _ = st.columns([1, 1.2, 1])
    with middle, st.form("aiops_login"):
        st.subheader(t["login_heading"])
        given = st.text_input(t["password"], type="password", key="aiops_password")
        submitted = st.form_submit_button(t["login"], type="primary", width="stretch")
        if not submitted:
            return
        throttle, address, now = login_throttle(), client_address(), time.time()
        refused = throttle.attempt(address, now)
        if refused is not None:
            st.error(_locked_out(refused, now, settings, t))
            return
        if password_matches(given, configured):
            throttle.succeeded(address, now)
            st.session_state[LOGGED_IN] = True
            st.rerun()
        lockout = throttle.lockout(address, now)
        if lockout is None:
            st.error(t["wrong_password"])
            return
        log.warning(
            "dashboard login from %s failed (%d failures): %s locked out for %d s",
            address,
            throttle.failures(address),
            "everyone" if lockout.everyone else "this address",
            math.ceil(lockout.until - now),
        )
        st.error(_locked_out(lockout, now, settings, t))


def _locked_out(lockout: Lockout, now: float, settings: Settings, t: Mapping[str, str]) -> str:
    """The message of a lockout: how long, and the time (in REPORT_TIMEZONE) to try again."""
    at = datetime.fromtimestamp(math.ceil(lockout.until), settings.report_zone)
    text = t["locked_out_everyone" if lockout.everyone else "locked_out"]
    return text.format(seconds=math.ceil(lockout.until - now), time=f"{at:%H:%M:%S %Z}")


def logout_button(settings: Settings, t: Mapping[str, str]) -> None:
    """A logout button, when there is a login to leave."""
    if oidc_configured():
        st.button(t["logout"], on_click=st.logout, key="aiops_logout")
    elif settings.admin_password is not None and st.button(t["logout"], key="aiops_logout"):
        st.session_state[LOGGED_IN] = False
        st.rerun()


def main() -> None:
    """Print the ADMIN_PASSWORD hash of a password typed at the prompt."""
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Again: "):
        raise SystemExit("the two passwords differ")
    print(hash_password(password))


if __name__ == "__main__":
    main()
