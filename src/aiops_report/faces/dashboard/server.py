"""Start the Streamlit dashboard (`aiops-report dashboard`) as a `streamlit run` subprocess.

Streamlit is not imported here, so the CLI stays quick to load; the settings reach the
dashboard through the environment of the subprocess.

Streamlit runs the app from a folder of its own (`app_folder`): the app, NanumGothic in its
`static/` folder, and a `.streamlit/config.toml` that serves it and makes it the font of
every Hangul character (Streamlit's theme font faces). Hangul then reads on any viewer's
machine, with or without a Korean font of its own; Latin text keeps Streamlit's own font.

The subprocess runs in a process group of its own, and `aiops-report dashboard` stops that
group when it receives SIGTERM (a service manager, `docker stop`, Kubernetes), SIGINT (Ctrl-C)
or SIGHUP (its terminal closed). A command that dies without a word (SIGKILL, the OOM killer)
takes the server with it too: on Linux the kernel sends the server SIGTERM when its parent
dies (`PR_SET_PDEATHSIG`). Its app folder (a temporary folder holding the command's process
ID) is removed at the next start once that process is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fontTools.ttLib import TTFont
from pydantic import SecretStr

from aiops_report.data.config import Settings
from aiops_report.hangul_font import font_files

APP = Path(__file__).parent / "app.py"
HANGUL_FAMILY = "aiops-hangul"  # the served NanumGothic, by a name no system font has
# Hangul Jamo, compatibility Jamo, syllables, extended Jamo; CJK punctuation; full-width forms
HANGUL_RANGE = (
    "U+1100-11FF, U+3000-303F, U+3130-318F, U+A960-A97F, U+AC00-D7AF, U+D7B0-D7FF, U+FF00-FFEF"
)
LOOPBACK = "127.0.0.1"
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOP_GRACE = 10.0  # seconds the dashboard has to stop after SIGTERM before it is killed
FOLDER_PREFIX = "aiops-dashboard-"
OWNER_FILE = "owner.pid"  # in the app folder: the process ID of the command that made it
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


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


def app_folder(folder: Path) -> Path:
    """Write the app, its font and its Streamlit config into `folder`; return the app's path.

    Raises FontMissing when NanumGothic is not installed.
    """
    static = folder / "static"
    static.mkdir(parents=True, exist_ok=True)
    regular, bold = font_files()
    faces = []
    for source, weight in ((regular, 400), (bold, 700)):
        web_font(source, static / source.name)
        faces.append(
            "[[theme.fontFaces]]\n"
            f'family = "{HANGUL_FAMILY}"\n'
            f'url = "app/static/{source.name}"\n'
            f"weight = {weight}\n"
            f'unicodeRange = "{HANGUL_RANGE}"\n'
        )
    config = folder / ".streamlit" / "config.toml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(
        "[server]\nenableStaticServing = true\n\n"
        + "\n".join(faces)
        + f'\n[theme]\nfont = "{HANGUL_FAMILY}"\n'
        f'headingFont = "{HANGUL_FAMILY}"\n',
        encoding="utf-8",
    )
    app = folder / APP.name
    shutil.copyfile(APP, app)
    return app


def web_font(source: Path, target: Path) -> None:
    """Copy a TrueType font without its Visual TrueType sources (the TSI tables): they play
    no part in drawing, and NanumGothic's empty TSI3 makes browsers refuse the whole font."""
    font = TTFont(source, lazy=True)
    tables = font.keys()  # a TTFont is no dict: keys() lists its tables
    for tag in [tag for tag in tables if tag.startswith("TSI")]:
        del font[tag]
    font.save(target)


def dashboard_command(settings: Settings, host: str, port: int, app: Path = APP) -> list[str]:
    """The `streamlit run` command line of the dashboard."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
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


def start_dashboard(
    settings: Settings, host: str, port: int, folder: Path
) -> subprocess.Popen[bytes]:
    """Start the dashboard in the background, in a new process group, run from `folder`
    (`app_folder`); the caller stops it (`stop_dashboard`)."""
    env = {**os.environ, **settings_environment(settings)}
    # A session (and process group) of its own: stop_dashboard can signal the whole group, and
    # Ctrl-C in a terminal reaches only the command, which then stops the dashboard itself.
    command = dashboard_command(settings, host, port, app_folder(folder))
    return subprocess.Popen(
        command, env=env, start_new_session=True, preexec_fn=_end_with_parent(os.getpid())
    )


def _end_with_parent(parent: int) -> Callable[[], None] | None:
    """What the child runs before `streamlit`: on Linux, ask the kernel for SIGTERM when the
    parent dies however it dies (kept across exec), then make sure it has not died already."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def end_with_parent() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # it died between fork and prctl: nobody would say so
            os.kill(os.getpid(), signal.SIGTERM)

    return end_with_parent


def clean_stale_folders(temp: Path | None = None) -> list[Path]:
    """Remove the app folders whose command is gone (killed before it could clean up);
    returns those removed. A folder whose owner is unknown or alive is left alone."""
    removed = []
    for folder in Path(temp or tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            owner = int((folder / OWNER_FILE).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue
        if owner == os.getpid() or _alive(owner):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


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
    clean_stale_folders()
    folder = tempfile.TemporaryDirectory(prefix=FOLDER_PREFIX)
    (Path(folder.name) / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
    try:
        try:
            process = start_dashboard(settings, host, port, Path(folder.name))
            if not stop_requested:  # else a signal came while it started
                return _exit_code(process.wait())
        except _Stop:
            pass
        assert process is not None  # _Stop is raised only once it has started
        return stop_dashboard(process)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        folder.cleanup()
