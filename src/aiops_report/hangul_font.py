"""Where NanumGothic is: a TrueType font with Hangul that pip installs, for the PDF and the
dashboard alike.

The files come with the `koreanize-matplotlib` package. Only its files are used: the package
is located with `find_spec`, which does not run it (importing it would load matplotlib).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from aiops_report.errors import FontMissing

FONT_PACKAGE = "koreanize_matplotlib"
REGULAR_FILE = "NanumGothic.ttf"
BOLD_FILE = "NanumGothicBold.ttf"


def font_files() -> tuple[Path, Path]:
    """The regular and bold TTF files; FontMissing when they are not installed."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = Path(location) / "fonts"
        regular, bold = folder / REGULAR_FILE, folder / BOLD_FILE
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise FontMissing(
        f"the report font {REGULAR_FILE} was not found: install the package "
        "koreanize-matplotlib (pip install koreanize-matplotlib), which ships it"
    )
