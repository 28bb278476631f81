"""The layers' contract (pyproject.toml's [tool.importlinter], run by `lint-imports` in
`make test`) covers every module: a new top-level module is placed in a layer, not left out
of the rule."""

from __future__ import annotations

import tomllib
from pathlib import Path

import aiops_report

ROOT = Path(__file__).parents[1]


def test_every_top_level_module_is_in_a_layer() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = config["tool"]["importlinter"]["contracts"]
    layered = {
        name.strip().removeprefix("aiops_report.")
        for layer in contract["layers"]
        for name in layer.replace("|", ":").split(":")
    }
    package = Path(aiops_report.__file__).parent
    modules = {
        path.stem if path.is_file() else path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__")
        or (path.is_dir() and (path / "__init__.py").exists())
    }

    assert modules - layered == set()
