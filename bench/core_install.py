"""The core install: its size, how fast `--help` starts, and a weekly run with nothing else.

    .venv/bin/python bench/core_install.py                 # this tree, core only
    .venv/bin/python bench/core_install.py --extras all    # the same with '.[all]'

Builds a fresh venv (under bench/data/venv-<extras>, kept for the next run) with
`pip install .` (or `.[extras]`) and prints:

  size      `du -s` of the venv, in MB (pip and setuptools of an empty venv included: the
            empty venv's own size is printed beside it)
  --help    the median wall time of `aiops-report --help` over 7 runs
  weekly    init-db, demo-data, generate and run-weekly, delivered to the Slack stand-in
            (tests/slack_server.py): each must succeed, or the script fails naming it

and, with the core only, that `aiops-report dashboard` and `serve` each answer with the one
line that names their extra.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from slack_server import TOKEN, SlackServer  # noqa: E402  (the stand-in lives in tests/)


def megabytes(path: Path) -> float:
    du = subprocess.run(["du", "-sk", str(path)], check=True, capture_output=True, text=True)
    return int(du.stdout.split()[0]) / 1024


def venv(folder: Path, requirement: str, fresh: bool) -> Path:
    if fresh and folder.exists():
        shutil.rmtree(folder)
    if not (folder / "bin" / "aiops-report").exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, requirement], check=True)
    return folder / "bin" / "aiops-report"


def help_seconds(command: Path, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(command), "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(command: Path, *args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [str(command), *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result.stdout + result.stderr


def weekly(command: Path) -> None:
    with tempfile.TemporaryDirectory() as folder, SlackServer() as slack:
        cwd = Path(folder)
        env = {
            "PATH": os.environ["PATH"],
            "HOME": folder,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.api_url,
        }
        for args in (["init-db"], ["demo-data", "--weeks", "3", "--per-day", "60"], ["generate"]):
            print(f"  {' '.join(args)}: {run(command, *args, env=env, cwd=cwd).splitlines()[-1]}")
        print(f"  run-weekly: {run(command, 'run-weekly', env=env, cwd=cwd).splitlines()[-1]}")
        if not slack.shared_files():
            raise SystemExit("run-weekly posted nothing to the Slack stand-in")


def missing_extras(command: Path) -> None:
    for args in (["dashboard"], ["serve"]):
        result = subprocess.run([str(command), *args], capture_output=True, text=True, timeout=60)
        print(f"  {' '.join(args)}: exit {result.returncode}: {result.stderr.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", default="", help="e.g. all, or dashboard,themes")
    parser.add_argument("--fresh", action="store_true", help="build the venv again")
    args = parser.parse_args()
    name = f"venv-{args.extras or 'core'}".replace(",", "-")
    folder = ROOT / "bench" / "data" / name
    requirement = f"{ROOT}[{args.extras}]" if args.extras else str(ROOT)
    command = venv(folder, requirement, args.fresh)
    empty = ROOT / "bench" / "data" / "venv-empty"
    if not empty.exists():
        subprocess.run([sys.executable, "-m", "venv", str(empty)], check=True)
    print(f"{name}: {megabytes(folder):.0f} MB (an empty venv: {megabytes(empty):.0f} MB)")
    print(f"  --help: {help_seconds(command):.2f} s (median of 7)")
    weekly(command)
    if not args.extras:
        missing_extras(command)


if __name__ == "__main__":
    main()
