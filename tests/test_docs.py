"""The documentation holds true: every setting, command and option is documented, the TOML
examples of the pages are files the code loads, and the README's session is what the demo
data gives.

As datasette's tests do: a setting or an option added without its line in docs/ fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from aiops_report.analysis.alert_rules import load_rules
from aiops_report.analysis.prices import load_prices
from aiops_report.data.config import Settings
from aiops_report.data.mapping import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, load_mapping
from aiops_report.delivery.routes import load_routes
from aiops_report.faces.cli import app

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
SNIPPET = re.compile(r'^--8<-- "(?P<path>[^"]+)"$', re.MULTILINE)


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def all_pages() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(DOCS.glob("*.md"))}


# --- every setting -----------------------------------------------------------------------------


def undocumented_settings(configuration_page: str) -> list[str]:
    """The settings without a row of their own (`| `NAME` | ...`) in the configuration page."""
    rows = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", configuration_page, re.MULTILINE))
    return [name.upper() for name in Settings.model_fields if name.upper() not in rows]


def test_every_setting_has_a_row_in_the_configuration_page() -> None:
    assert undocumented_settings(page("configuration.md")) == []


def test_a_setting_without_its_row_is_named() -> None:
    without = re.sub(r"^\| `SLACK_TIMEOUT` \|.*\n", "", page("configuration.md"), flags=re.M)

    assert undocumented_settings(without) == ["SLACK_TIMEOUT"]


def test_the_configuration_page_documents_no_setting_that_does_not_exist() -> None:
    rows = re.findall(r"^\| `([A-Z0-9_]+)` \|", page("configuration.md"), re.MULTILINE)
    assert sorted(set(rows)) == sorted(rows), "a setting has two rows"
    assert set(rows) <= {name.upper() for name in Settings.model_fields}


# --- every command and option ------------------------------------------------------------------


def commands() -> dict[str, Any]:
    return dict(get_command(app).commands)  # type: ignore[attr-defined]


def undocumented_options(commands_table: str) -> list[str]:
    """`command --option` pairs missing from the command's row of the commands table."""
    rows = {
        match["name"]: match["row"]
        for match in re.finditer(
            r"^\| `aiops-report (?P<name>[a-z-]+)(?P<row>[^\n]*)$", commands_table, re.MULTILINE
        )
    }
    missing = []
    for name, command in commands().items():
        if name not in rows:
            missing.append(name)
            continue
        for param in command.params:
            # typer vendors its own click: the kind of a parameter is told by its name.
            if param.param_type_name == "option" and not param.hidden:
                missing += [f"{name} {opt}" for opt in param.opts if opt not in rows[name]]
    return missing


def test_every_command_and_option_is_in_the_commands_table() -> None:
    assert undocumented_options(page("getting-started.md")) == []


def test_an_option_left_out_of_the_table_is_named() -> None:
    without = page("getting-started.md").replace(" [--force]", "")

    assert undocumented_options(without) == ["run-weekly --force"]


def test_the_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [name for name in commands() if f"`aiops-report {name}" not in readme] == []


def test_the_columns_table_is_the_code_s() -> None:
    rows = re.findall(r"^\| (\w+) \(`\w+`\) \| (.*) \| (.*) \|$", page("your-database.md"), re.M)

    assert {
        role: (re.findall(r"`(\w+)`", required), re.findall(r"`(\w+)`", optional))
        for role, required, optional in rows
    } == {
        role: (list(REQUIRED_COLUMNS[role]), list(OPTIONAL_COLUMNS[role]))
        for role in OPTIONAL_COLUMNS
    }


# --- the TOML examples are the files the tests load --------------------------------------------


def test_every_toml_block_of_the_docs_is_an_example_file() -> None:
    """No TOML is copied into a page: each block includes a file of docs/examples/."""
    for name, text in all_pages().items():
        for block in re.findall(r"```toml[^\n]*\n(.*?)```", text, re.DOTALL):
            assert SNIPPET.fullmatch(block.strip()), f"{name} has a TOML block that is not a file"


def test_every_example_file_is_shown_by_a_page() -> None:
    included = {m["path"] for text in all_pages().values() for m in SNIPPET.finditer(text)}
    examples = {f"docs/examples/{path.name}" for path in EXAMPLES.glob("*.toml")}
    assert examples <= included


def test_the_schema_example_maps_every_table() -> None:
    # tests/data/test_mapping.py runs the reports of every database through this file.
    mapping = load_mapping(EXAMPLES / "schema.toml")

    assert {role: m.table for role, m in mapping.tables.items()} == {
        "conversations": "chat_turns",
        "feedback": "ratings",
        "evaluations": "judge_scores",
    }
    assert mapping.like == ("up", "1", "true", "👍")
    assert (mapping.scale.low, mapping.scale.high) == (1, 5)


def test_the_routes_examples_load() -> None:
    routes = load_routes(EXAMPLES / "routes.toml")
    alert_routes = load_routes(EXAMPLES / "alert-routes.toml")

    assert [route.slack for route in routes] == [["#ai-reports", "#cs-leads"], ["#shop-ai"]]
    assert [(route.segment, route.alerts) for route in routes] == [
        (None, True),
        ("shop-bot", False),
    ]
    assert [(route.segment, route.alerts) for route in alert_routes] == [
        (None, True),
        ("shop-bot", True),
    ]


def test_the_price_example_loads() -> None:
    prices = load_prices(EXAMPLES / "prices.toml")

    assert prices.currency == "USD"
    price = prices.price_of("claude-3-5-haiku")
    assert price is not None and price.cost(1_000_000, 1_000_000) == pytest.approx(4.80)


def test_the_alert_rules_example_loads() -> None:
    rules = load_rules(EXAMPLES / "alerts.toml")

    assert [(rule.name, rule.when, rule.value) for rule in rules] == [
        ("만족도 급락", "anomaly", None),
        ("느린 응답", "above", 3000),
    ]


# --- the README's session ----------------------------------------------------------------------


def session_of(text: str) -> str:
    return text.split("## A short session", 1)[1].split("```console", 1)[1].split("```", 1)[0]


def test_the_readme_session_is_what_the_demo_data_gives(tmp_path: Path) -> None:
    """Whatever today is: the demo's last complete week gives these numbers."""
    readme = session_of((ROOT / "README.md").read_text(encoding="utf-8"))
    assert readme.split("$ .venv/bin/aiops-report doctor")[0] in session_of(
        page("getting-started.md")
    ), "the README's session and the getting-started page's differ"
    runner = CliRunner()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'local.db'}"}

    for command in (["init-db"], ["demo-data"]):
        result = runner.invoke(app, command, env=env)
        assert result.exit_code == 0, result.output
        assert result.output.strip().splitlines()[-1].split(" from ")[0] in readme
    result = runner.invoke(app, ["generate", "--json"], env=env)

    assert result.exit_code == 0, result.output
    change = json.loads(result.stdout)["changes"]["satisfaction_rate"]
    shown = json.dumps(
        {key: change[key] for key in ("current", "previous", "p_value", "significant")}, indent=2
    )
    assert shown in readme
