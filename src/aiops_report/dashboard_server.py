"""Start the Streamlit dashboard (`aiops-report dashboard`) as a `streamlit run` subprocess.

Streamlit is not imported here, so the CLI stays quick to load; the settings reach the
dashboard through the environment of the subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from aiops_report.config import Settings

APP = Path(__file__).parent / "dashboard" / "app.py"
LOOPBACK = "127.0.0.1"


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
    """Start the dashboard in the background; the caller stops it (`terminate()`)."""
    env = {**os.environ, **settings_environment(settings)}
    return subprocess.Popen(dashboard_command(settings, host, port), env=env)


def run_dashboard(settings: Settings, host: str = LOOPBACK, port: int = 8501) -> int:
    """Run the dashboard in the foreground until it exits or Ctrl-C; return its exit code."""
    process = start_dashboard(settings, host, port)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()
