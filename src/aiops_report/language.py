"""The languages of reports and screens: one type for the settings, the words and the CLI."""

from typing import Literal

Language = Literal["ko", "en"]


def language_of(name: str) -> Language:
    """The language `name` asks for: English for "en", Korean (the default) otherwise."""
    return "en" if name == "en" else "ko"
