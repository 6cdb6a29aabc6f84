"""The core never imports a chat SDK or the adapters (only bot/__main__.py wires them in)."""

from __future__ import annotations

import ast
from pathlib import Path

import bot

FORBIDDEN = ("discord", "slack_bolt", "slack_sdk", "adapters")
BOT = Path(bot.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_bot_does_not_import_platform_sdks_or_adapters() -> None:
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        if path == BOT / "__main__.py":  # the composition root wires the adapters in
            continue
        for module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(BOT.parent)} imports {module}")
    assert offenders == []


def test_the_check_would_catch_an_offender(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("import os\nfrom discord import app_commands\nimport slack_sdk.web\n")
    assert {"discord", "slack_sdk.web"} <= imported_modules(sneaky)


def test_every_module_starts_with_a_docstring() -> None:
    missing = [
        str(path.relative_to(BOT.parent))
        for path in sorted(BOT.rglob("*.py")) + sorted((BOT.parent / "adapters").rglob("*.py"))
        if ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
    ]
    assert missing == []


def store_reaches(path: Path) -> list[str]:
    """`x.store` attribute reads and `bot.store` imports in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr == "store":
            found.append(f"{path.name}:{node.lineno} .store")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.store"):
            found.append(f"{path.name}:{node.lineno} imports {node.module}")
    return found


def test_adapters_use_the_core_and_its_desk_never_the_store() -> None:
    adapters = BOT.parent / "adapters"
    allowed = {"slack_install.py"}  # slack_sdk's store interfaces over the desk's installs part
    offenders = [
        reach
        for path in sorted(adapters.rglob("*.py"))
        for reach in store_reaches(path)
        if not (path.name in allowed and "imports bot.store.installs" in reach)
    ]
    assert offenders == []


def test_the_store_check_would_catch_an_offender(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from bot.store import Store\nasync def f(core):\n    await core.store.x()\n")
    assert len(store_reaches(sneaky)) == 2
