"""Packaging: the declared dependencies are exactly what the code imports, the lock files satisfy
them, and the wheel builds silently with bot/data, the manifest and the message catalogs."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import bot

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCAL = {"bot", "adapters", "tests", "bench"}
# Runtime dependencies that are loaded by name rather than imported, each with the reason.
LOADED_BY_NAME = {
    "asyncpg": "SQLAlchemy's postgresql+asyncpg dialect imports it from the database URL",
    "aiosqlite": "SQLAlchemy's sqlite+aiosqlite dialect imports it from the database URL",
}


def third_party_imports(*folders: str) -> dict[str, set[str]]:
    """Top-level third-party modules imported anywhere under `folders` (nested imports too),
    each with the files that import it."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in LOCAL:
                        found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def distributions_of(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """Module names → the installed distributions that provide them (canonical names)."""
    providers = packages_distributions()
    found: dict[str, set[str]] = {}
    for module, files in modules.items():
        dists = providers.get(module)
        assert dists, f"{module} (imported by {sorted(files)}) is not installed"
        for dist in dists:
            found.setdefault(canonicalize_name(dist), set()).update(files)
    return found


def declared(*extras: str) -> set[str]:
    project = PYPROJECT["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_runtime_dependencies_are_exactly_what_bot_and_adapters_import() -> None:
    imported = distributions_of(third_party_imports("bot", "adapters"))
    runtime = declared()
    missing = {name: sorted(files) for name, files in imported.items() if name not in runtime}
    unused = runtime - set(imported) - set(LOADED_BY_NAME)
    assert missing == {}, "imported but not declared in pyproject.toml"
    assert unused == set(), "declared in pyproject.toml but never imported"


def test_tests_and_benchmarks_import_only_declared_packages() -> None:
    imported = distributions_of(third_party_imports("tests", "bench"))
    allowed = declared("dev", "bench")
    assert {n: sorted(f) for n, f in imported.items() if n not in allowed} == {}


def test_the_import_scan_sees_nested_and_from_imports(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "x.py").write_text(
        "import os\nfrom yarl import URL\n\n"
        "def f():\n    import numpy.linalg\n    from bot import y\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert set(third_party_imports("bot")) == {"yarl", "numpy"}


def lock_pins(name: str) -> dict[str, str]:
    """name → pinned version, for the entries of a lock file that apply to this interpreter."""
    pins = {}
    environment = default_environment()
    for line in (ROOT / "requirements" / name).read_text(encoding="utf-8").splitlines():
        if not line or line[0] in " #-":
            continue
        requirement = Requirement(line.rstrip(" \\"))
        if requirement.marker is None or requirement.marker.evaluate(environment):
            (version,) = [spec.version for spec in requirement.specifier]
            pins[canonicalize_name(requirement.name)] = version
    return pins


@pytest.mark.parametrize(("lock", "extras"), [("runtime.txt", ()), ("dev.txt", ("dev", "bench"))])
def test_lock_files_pin_every_declared_dependency_within_its_range(
    lock: str, extras: tuple[str, ...]
) -> None:
    """Fails when pyproject.toml changed without `make lock`."""
    pins = lock_pins(lock)
    project = PYPROJECT["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pins[name]}, outside {requirement.specifier}"
        )


def test_the_dev_lock_agrees_with_the_runtime_lock() -> None:
    runtime, dev = lock_pins("runtime.txt"), lock_pins("dev.txt")
    assert {n: (v, dev.get(n)) for n, v in runtime.items() if dev.get(n) != v} == {}
    build = lock_pins("build.txt")
    assert set(build) == {"setuptools"}
    assert dev["setuptools"] == build["setuptools"]


def test_the_version_lives_in_one_place() -> None:
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "bot.__version__"}
    assert bot.__version__.count(".") == 2


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel built offline from a copy of the sources; returns (wheel, the build's stderr)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("bot", "adapters"):
        shutil.copytree(ROOT / package, src / package, ignore=ignore)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-w", str(out), str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("trendbot-*.whl")
    return built, done.stderr


def test_the_wheel_holds_the_code_data_manifest_and_catalogs(wheel: tuple[Path, str]) -> None:
    built, _ = wheel
    names = set(zipfile.ZipFile(built).namelist())
    bundled = {p.name for p in (ROOT / "bot" / "data").iterdir()}
    assert {f"bot/data/{name}" for name in bundled} <= names
    assert {"bot/__init__.py", "bot/sources/netflix.py", "adapters/slack_manifest.yml"} <= names
    catalogs = {f"bot/words/locales/{locale}/LC_MESSAGES/trendbot.{ext}"
                for locale in ("es", "pt_BR", "fr", "de") for ext in ("po", "mo")}  # fmt: skip
    assert {"bot/words/__init__.py", "bot/words/locales/trendbot.pot"} | catalogs <= names
    assert not any(n.startswith(("tests/", "bench/")) for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_the_wheel_metadata_is_complete(wheel: tuple[Path, str]) -> None:
    built, _ = wheel
    with zipfile.ZipFile(built) as archive:
        (meta_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(archive.read(meta_name).decode())
    assert meta["Name"] == "trendbot"
    assert meta["Version"] == bot.__version__
    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.11"
    assert any("Source, https://" in url for url in meta.get_all("Project-URL", []))
    assert meta.get_all("Classifier")
    assert meta["Author"] or meta["Author-email"]
    required = {
        canonicalize_name(Requirement(r).name)
        for r in meta.get_all("Requires-Dist", [])
        if Requirement(r).marker is None
    }
    assert required == declared()


def test_the_build_warns_about_nothing(wheel: tuple[Path, str]) -> None:
    """Deprecated license tables, undeclared packages and the like surface as build warnings."""
    _, stderr = wheel
    assert "Warning" not in stderr and "warning" not in stderr, stderr
