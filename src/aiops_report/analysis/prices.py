"""Model prices: the optional MODEL_PRICES table (TOML) and the price of a model's tokens.

The file, with prices per million tokens::

    currency = "USD"
    [models."gpt-4o-mini"]      # an exact model name...
    input = 0.15                # price per million prompt tokens
    output = 0.60               # price per million completion tokens
    [models."claude-.*"]        # ...or a regular expression matched against the whole name
    input = 0.80
    output = 4.00

Every key is a model name; a key that is also a valid regular expression matches the names
it fully matches. An exact name wins; otherwise the first expression in file order.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiops_report.errors import InvalidPriceTable

TOKENS_PER_PRICE = 1_000_000


@dataclass(frozen=True)
class ModelPrice:
    """Prices per million prompt (`input`) and completion (`output`) tokens."""

    input: float
    output: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """(prompt tokens × input + completion tokens × output) / 1,000,000."""
        return (prompt_tokens * self.input + completion_tokens * self.output) / TOKENS_PER_PRICE


@dataclass(frozen=True)
class PriceTable:
    """The prices of a MODEL_PRICES file, keyed as written (file order kept)."""

    currency: str | None
    models: dict[str, ModelPrice]

    def price_of(self, model: str) -> ModelPrice | None:
        """The exact name's price, else the first key that fully matches; None when none does."""
        if model in self.models:
            return self.models[model]
        for key, price in self.models.items():
            pattern = _pattern(key)
            if pattern is not None and pattern.fullmatch(model):
                return price
        return None


def _pattern(key: str) -> re.Pattern[str] | None:
    """The key as a regular expression; None when it is not one (it is then an exact name)."""
    try:
        return re.compile(key)
    except re.error:
        return None


def load_prices(path: Path) -> PriceTable:
    """Read a MODEL_PRICES file; raise InvalidPriceTable (one line) when it cannot be used."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidPriceTable(f"MODEL_PRICES {path} cannot be read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidPriceTable(f"MODEL_PRICES {path} is not valid TOML: {exc}") from None
    return _table(document, path)


def _table(document: dict[str, Any], path: Path) -> PriceTable:
    def invalid(problem: str) -> InvalidPriceTable:
        return InvalidPriceTable(f"MODEL_PRICES {path}: {problem}")

    unknown = set(document) - {"currency", "models"}
    if unknown:
        raise invalid(f"unknown key(s) {', '.join(sorted(unknown))}; expected currency, models")
    currency = document.get("currency")
    if currency is not None and not isinstance(currency, str):
        raise invalid('currency must be text, e.g. currency = "USD"')
    models = document.get("models", {})
    if not isinstance(models, dict):
        raise invalid('models must be tables, e.g. [models."gpt-4o-mini"]')
    prices = {}
    for name, entry in models.items():
        if not isinstance(entry, dict) or set(entry) != {"input", "output"}:
            raise invalid(f"models.{name!r} must set exactly input and output")
        for side in ("input", "output"):
            value = entry[side]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise invalid(f"models.{name!r}.{side} must be a number ≥ 0, not {value!r}")
        prices[name] = ModelPrice(float(entry["input"]), float(entry["output"]))
    return PriceTable(currency, prices)
