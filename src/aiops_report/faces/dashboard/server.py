"""Start the Streamlit dashboard (`aiops-report dashboard`) as a `streamlit run` subprocess.

Streamlit is not imported here, so the CLI stays quick to load; the settings reach the
dashboard through the environment of the subprocess.

The subprocess runs in a process group of its own, and `aiops-report dashboard` stops that
group when it receives SIGTERM (a service manager, `docker stop`, Kubernetes), SIGINT (Ctrl-C)
or SIGHUP (its terminal closed): the server never outlives the command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tomllib
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from aiops_report.data.config import Settings

APP = Path(__file__).parent / "app.py"
LOOPBACK = "127.0.0.1"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOP_GRACE = 10.0  # seconds the dashboard has to stop after SIGTERM before it is killed


def listen_address(settings: Settings, host: str) -> str:
    """`host`, unless the dashboard has no login: then only this machine may connect."""
    if settings.admin_password is None and not oidc_configured():
        return LOOPBACK
    return host


def oidc_configured(cwd: Path | None = None) -> bool:
    """Whether a Streamlit secrets.toml (project or user) has an `[auth]` section."""
    for path in ((cwd or Path.cwd()) / ".streamlit", Path.home() / ".streamlit"):
        try:
            with (path / "secrets.toml").open("rb") as file:
                if "auth" in tomllib.load(file):
                    return True
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return False


def settings_environment(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables that reproduce them."""
    env = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, timedelta):
            value = int(value.total_seconds())
        env[name.upper()] = str(value)
    return env


def dashboard_command(settings: Settings, host: str, port: int) -> list[str]:
    """The `streamlit run` command line of the dashboard."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        listen_address(settings, host),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def start_dashboard(settings: Settings, host: str, port: int) -> subprocess.Popen[bytes]:
    """Start the dashboard in the background, in a new process group; the caller stops it
    (`stop_dashboard`)."""
    env = {**os.environ, **settings_environment(settings)}
    # A session (and process group) of its own: stop_dashboard can signal the whole group, and
    # Ctrl-C in a terminal reaches only the command, which then stops the dashboard itself.
    command = dashboard_command(settings, host, port)
    return subprocess.Popen(command, env=env, start_new_session=True)


def stop_dashboard(process: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> int:
    """Stop the dashboard's process group: SIGTERM, then SIGKILL after `grace` seconds.

    Returns its exit code (128 + the signal's number when a signal ended it).
    """
    _signal_group(process, signal.SIGTERM)
    try:
        return _exit_code(process.wait(timeout=grace))
    except subprocess.TimeoutExpired:
        _signal_group(process, signal.SIGKILL)
        return _exit_code(process.wait())


def _exit_code(returncode: int) -> int:
    """Popen's returncode as a shell shows it: -N (ended by signal N) is 128 + N."""
    return returncode if returncode >= 0 else 128 - returncode


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    if process.returncode is None:  # once reaped, its process group ID may be reused
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)


class _Stop(Exception):
    """A stop signal reached `run_dashboard`."""


def run_dashboard(settings: Settings, host: str = LOOPBACK, port: int = 8501) -> int:
    """Run the dashboard in the foreground until it exits, or until SIGTERM, SIGINT (Ctrl-C) or
    SIGHUP, which stop it; return its exit code. Call it from the main thread."""
    process: subprocess.Popen[bytes] | None = None
    stop_requested = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stop_requested
        if stop_requested:  # stopping already, within STOP_GRACE
            return
        stop_requested = True
        # Raised only while waiting for the dashboard: inside Popen() it could lose the child.
        if process is not None and process.returncode is None:
            raise _Stop

    previous = {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}
    try:
        try:
            process = start_dashboard(settings, host, port)
            if not stop_requested:  # else a signal came while it started
                return _exit_code(process.wait())
        except _Stop:
            pass
        assert process is not None  # _Stop is raised only once it has started
        return stop_dashboard(process)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
