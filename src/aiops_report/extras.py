"""The optional parts of aiops-report and the extras that install them.

The core install builds and delivers the PDF (`pip install aiops-report`); each of these needs
its extra (`pip install 'aiops-report[dashboard]'`, or `[all]`). A part whose extra is missing
is one line naming it (`require`), or, for the report's themes, left out of the report as any
part whose inputs are missing is (`installed`). Modules are looked up with `find_spec`, which
imports nothing.
"""

from __future__ import annotations

import importlib.util

from aiops_report.errors import MissingExtra

# extra -> the modules it installs that the code imports (pyproject.toml's optional deps).
EXTRAS: dict[str, tuple[str, ...]] = {
    "dashboard": ("streamlit", "altair", "fontTools"),
    "service": ("fastapi", "uvicorn", "slack_bolt"),
    "themes": ("kiwipiepy",),
    "postgresql": ("psycopg",),
    "mysql": ("pymysql",),
    "clickhouse": ("clickhouse_connect",),
}


def missing_modules(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def installed(extra: str) -> bool:
    """Whether every module of `extra` is installed."""
    return not missing_modules(extra)


def extra_of(module: str | None) -> str | None:
    """The extra that installs `module` (a top-level module name), if one does."""
    top = (module or "").partition(".")[0]
    return next((extra for extra, names in EXTRAS.items() if top in names), None)


def install_hint(extra: str) -> str:
    return f"pip install 'aiops-report[{extra}]'"


def require(extra: str, what: str) -> None:
    """Raise MissingExtra (one line: what needs it and how to install it) unless `extra` is
    installed."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtra(
            f"{what} needs the extra [{extra}] ({', '.join(missing)} not installed): "
            f"{install_hint(extra)}"
        )
