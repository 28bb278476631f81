"""The MODEL_PRICES table: exact names, regular expressions in file order, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiops_report.analysis.prices import ModelPrice, load_prices
from aiops_report.errors import ConfigError, InvalidPriceTable

TABLE = """
currency = "USD"
[models."gpt-4o-mini"]
input = 0.15
output = 0.60
[models."gpt-4o.*"]
input = 2.50
output = 10
[models."claude-.*"]
input = 0.80
output = 4.00
[models."claude-3-opus"]
input = 15
output = 75
[models."gpt-.*"]
input = 1
output = 1
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-mini", ModelPrice(0.15, 0.60)),  # exact, though "gpt-4o.*" comes first too
        ("claude-3-opus", ModelPrice(15, 75)),  # exact wins over the earlier "claude-.*"
        ("claude-3-5-haiku", ModelPrice(0.80, 4.00)),
        ("gpt-4o-2024-08-06", ModelPrice(2.50, 10)),  # first expression in file order
        ("gpt-3.5-turbo", ModelPrice(1, 1)),
        ("my-claude-3", None),  # an expression matches the whole name, not a part
        ("gpt-4o-mini-2024", ModelPrice(2.50, 10)),
        ("llama-3", None),
    ],
)
def test_price_lookup(tmp_path: Path, model: str, expected: ModelPrice | None) -> None:
    prices = load_prices(write(tmp_path, TABLE))

    assert prices.currency == "USD"
    assert prices.price_of(model) == expected


def test_cost_is_per_million_tokens() -> None:
    assert ModelPrice(0.15, 0.60).cost(2_000_000, 500_000) == pytest.approx(0.6)


def test_a_key_that_is_no_expression_is_an_exact_name(tmp_path: Path) -> None:
    prices = load_prices(write(tmp_path, '[models."beta[1"]\ninput = 1\noutput = 2\n'))

    assert prices.price_of("beta[1") == ModelPrice(1, 2)
    assert prices.price_of("beta1") is None
    assert prices.currency is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("currency = \n", "is not valid TOML"),
        ('[models."a"]\ninput = 1\n', "must set exactly input and output"),
        ('[models."a"]\ninput = 1\noutput = "2"\n', "models.'a'.output must be a number ≥ 0"),
        ('[models."a"]\ninput = -1\noutput = 2\n', "models.'a'.input must be a number ≥ 0"),
        ('[models."a"]\ninput = true\noutput = 2\n', "must be a number"),
        ('[models."a"]\ninput = 1\noutput = 2\ninptu = 3\n', "must set exactly input and output"),
        ("currency = 1\n", "currency must be text"),
        ('models = "gpt"\n', "models must be tables"),
        ('[model."a"]\ninput = 1\noutput = 2\n', "unknown key(s) model"),
    ],
)
def test_a_malformed_table_is_a_one_line_error(tmp_path: Path, text: str, says: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(InvalidPriceTable) as raised:
        load_prices(path)

    message = str(raised.value)
    assert says in message
    assert str(path) in message
    assert "\n" not in message
    assert isinstance(raised.value, ConfigError)


def test_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidPriceTable, match="cannot be read: No such file"):
        load_prices(tmp_path / "absent.toml")
