"""Who may see the admin panel: Streamlit's OIDC login, or the ADMIN_PASSWORD form.

ADMIN_PASSWORD holds the password itself, or its hash in Django's format,
`pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte PBKDF2-HMAC-SHA256 key>`, which
`python -m aiops_report.dashboard.auth` prints for a password typed at its prompt.

Failed logins are counted per browser session: after FREE_ATTEMPTS failures each further
attempt must wait twice as long as the one before (5 s, 10 s, 20 s, … up to MAX_LOCKOUT).
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Mapping

import streamlit as st

from aiops_report.config import Settings

HASH_ALGORITHM = "pbkdf2_sha256"
HASH_ITERATIONS = 600_000  # OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256
FREE_ATTEMPTS = 3
FIRST_LOCKOUT = 5.0  # seconds
MAX_LOCKOUT = 900.0

LOGGED_IN = "aiops_admin_logged_in"
FAILURES = "aiops_admin_failures"
LOCKED_UNTIL = "aiops_admin_locked_until"


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
    _password_form(settings.admin_password.get_secret_value(), t)
    return bool(st.session_state.get(LOGGED_IN))


def _password_form(configured: str, t: Mapping[str, str]) -> None:
    _, middle, _ = st.columns([1, 1.2, 1])
    with middle, st.form("aiops_login"):
        st.subheader(t["login_heading"])
        given = st.text_input(t["password"], type="password", key="aiops_password")
        submitted = st.form_submit_button(t["login"], type="primary", width="stretch")
        if not submitted:
            return
        wait = st.session_state.get(LOCKED_UNTIL, 0.0) - time.time()
        if wait > 0:
            st.error(t["locked_out"].format(seconds=math.ceil(wait)))
            return
        if password_matches(given, configured):
            st.session_state[LOGGED_IN] = True
            st.session_state[FAILURES] = 0
            st.rerun()
        failures = st.session_state.get(FAILURES, 0) + 1
        st.session_state[FAILURES] = failures
        st.session_state[LOCKED_UNTIL] = time.time() + lockout_seconds(failures)
        if failures >= FREE_ATTEMPTS:
            st.error(t["locked_out"].format(seconds=math.ceil(lockout_seconds(failures))))
        else:
            st.error(t["wrong_password"])


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
