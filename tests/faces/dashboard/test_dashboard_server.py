"""`aiops-report dashboard` as a real process: stopping the command stops its Streamlit server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aiops_report.faces.dashboard.server import STOP_GRACE

SRC = Path(__file__).parents[1] / "src"
# The script the package installs, beside the interpreter that runs the tests (the venv's).
COMMAND = Path(sys.executable).with_name("aiops-report")
STARTUP = 60.0  # seconds Streamlit may take to answer on its port
SHUTDOWN = 30.0  # seconds the command may take to stop (its STOP_GRACE is 10)

pytestmark = pytest.mark.skipif(not COMMAND.exists(), reason=f"needs {COMMAND}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended while listed
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, ended but not yet reaped, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def within(seconds: float, condition: Callable[[], bool]) -> bool:
    """Whether `condition()` comes true within `seconds` (a real process: polled, not faked)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int, list[int]]]:
    """`aiops-report dashboard --port N` running from this source tree, its port answering.

    Yields the command, its port and its child processes (the Streamlit server); whatever of
    them is still running at the end is killed.
    """
    port = free_port()
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}  # this source tree, not the venv's installed copy
    env["TMPDIR"] = str(tmp_path / "tmp")  # where its app folder goes, to be looked at
    (tmp_path / "tmp").mkdir()
    log = (tmp_path / "dashboard.log").open("wb")
    command = subprocess.Popen(
        [str(COMMAND), "dashboard", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    started: list[int] = []
    try:
        up = within(STARTUP, lambda: answers(port) or command.poll() is not None)
        assert up and command.poll() is None, (tmp_path / "dashboard.log").read_text()
        started += children(command.pid)
        assert started
        yield command, port, started
    finally:
        for pid in [*started, command.pid]:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        command.wait(timeout=SHUTDOWN)
        log.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_stopping_the_command_stops_the_server(
    dashboard: tuple[subprocess.Popen[bytes], int, list[int]],
    signum: signal.Signals,
    tmp_path: Path,
) -> None:
    command, port, server = dashboard
    command.send_signal(signum)

    command.wait(timeout=SHUTDOWN)
    # The URL is the command's first line: no Streamlit warning ("No runtime found") before.
    output = (tmp_path / "dashboard.log").read_text(encoding="utf-8")
    assert output.startswith(f"dashboard: http://127.0.0.1:{port}\n"), output
    assert "No runtime found" not in output
    assert not answers(port)
    assert not any(running(pid) for pid in server)
    # Streamlit stops cleanly (0), or is ended by the SIGTERM before its handler is set (143).
    assert command.returncode in (0, 128 + signal.SIGTERM)


def test_a_killed_command_takes_its_server_along_and_its_folder_goes_at_the_next_start(
    dashboard: tuple[subprocess.Popen[bytes], int, list[int]], tmp_path: Path
) -> None:
    command, port, server = dashboard
    [folder] = (tmp_path / "tmp").glob("aiops-dashboard-*")

    command.kill()  # SIGKILL: the command runs no handler, cleans up nothing
    killed = time.monotonic()
    command.wait(timeout=SHUTDOWN)
    gone = within(SHUTDOWN, lambda: not answers(port) and not any(running(p) for p in server))
    took = time.monotonic() - killed

    assert gone, "the Streamlit server outlived its killed command"
    assert took < STOP_GRACE, took
    assert folder.exists()  # left behind: nobody was there to remove it
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "TMPDIR": str(tmp_path / "tmp")}
    again = subprocess.Popen(
        [str(COMMAND), "dashboard", "--port", str(free_port())],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        folders = lambda: set((tmp_path / "tmp").glob("aiops-dashboard-*"))  # noqa: E731
        started = within(STARTUP, lambda: bool(folders() - {folder}))  # the new start's own
        assert started
        assert not folder.exists()  # removed as the second one started
    finally:
        again.terminate()
        again.wait(timeout=SHUTDOWN)
