"""The languages of reports and screens: one type for the settings, the words and the CLI."""

from collections.abc import Mapping
from typing import Literal, TypeVar

Language = Literal["ko", "en"]


def language_of(name: str) -> Language:
    """The language `name` asks for: English for "en", Korean (the default) otherwise."""
    return "en" if name == "en" else "ko"


Words = TypeVar("Words")


def in_language(table: Mapping[Language, Words], name: str) -> Words:
    """The words of `table` in the language `name` asks for (Korean unless "en")."""
    return table[language_of(name)]
