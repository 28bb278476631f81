"""Where NanumGothic is: a TrueType font with Hangul shipped in this package (`fonts/`, with
its SIL Open Font License in `fonts/OFL.txt`), for the PDF and the dashboard alike.
"""

from __future__ import annotations

from pathlib import Path

from aiops_report.errors import FontMissing

FONT_FOLDER = Path(__file__).parent / "fonts"
REGULAR_FILE = "NanumGothic.ttf"
BOLD_FILE = "NanumGothicBold.ttf"


def font_files(folder: Path = FONT_FOLDER) -> tuple[Path, Path]:
    """The regular and bold TTF files; FontMissing when they are not in `folder` (a broken
    install)."""
    regular, bold = folder / REGULAR_FILE, folder / BOLD_FILE
    for path in (regular, bold):
        if not path.is_file():
            raise FontMissing(
                f"the report font {path} is missing: the install is incomplete, "
                "reinstall aiops-report (pip install --force-reinstall aiops-report)"
            )
    return regular, bold
