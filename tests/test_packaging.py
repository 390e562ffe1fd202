"""A regular (non-editable) install carries every package, template and migration."""

from __future__ import annotations

import configparser
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", ".venv", "instance", "build", "dist", "*.egg-info",
                              "__pycache__", "node_modules", ".pytest_cache", ".ruff_cache",
                              "test-artifacts", "bench", "tests")


def declared_packages() -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return {line.strip() for line in parser["options"]["packages"].splitlines() if line.strip()}


def can_build_without_isolation() -> bool:
    """The venv's setuptools can build a wheel itself (needs `wheel` before setuptools 70.1)."""
    try:
        import setuptools
    except ImportError:
        return False
    version = tuple(int(p) for p in setuptools.__version__.split(".")[:2])
    has_wheel = importlib.util.find_spec("wheel") is not None
    return version >= (70, 1) or (version >= (69, 0) and has_wheel)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build from a clean copy, so that no stale build/ folder in the checkout leaks in."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
               str(work / "dist"), str(source)]
    if can_build_without_isolation():
        command.insert(4, "--no-build-isolation")
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = (work / "dist").glob("*.whl")
    return built


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_every_python_package_under_community_is_declared_in_setup_cfg():
    packages = {".".join(init.parent.relative_to(ROOT).parts)
                for init in (ROOT / "community").rglob("__init__.py")}
    missing = packages - declared_packages()
    assert not missing, f"add these to [options] packages in setup.cfg: {sorted(missing)}"


@pytest.mark.slow
def test_the_wheel_carries_templates_migrations_and_static_files(wheel):
    names = wheel_names(wheel)
    templates = {f"community/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
                 for p in (ROOT / "templates").rglob("*.html")}
    assert "community/templates/base.html" in templates
    assert any(n.startswith("community/templates/accounts/") for n in templates)
    assert templates <= names, sorted(templates - names)
    migrations = {f"community/migrations/versions/{p.name}"
                  for p in (ROOT / "migrations" / "versions").glob("*.py")}
    assert migrations and migrations <= names, sorted(migrations - names)
    assert {"community/migrations/env.py", "community/migrations/script.py.mako",
            "community/migrations/alembic.ini", "community/static/style.css"} <= names


@pytest.mark.slow
def test_the_wheel_carries_every_module_and_the_console_script(wheel):
    names = wheel_names(wheel)
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "community").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
        assert "community = community.cli:main" in archive.read(entry_points).decode()


@pytest.mark.slow
def test_the_installed_package_serves_pages_and_migrates_without_the_checkout(wheel, tmp_path):
    """Unpacked away from the checkout, the app finds its own templates and migrations."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    script = f"""
import community, sys
from pathlib import Path
assert Path(community.__file__).is_relative_to({str(site)!r}), community.__file__
from flask_migrate import upgrade
app = community.create_app({{"INSTANCE_PATH": {str(tmp_path / 'instance')!r},
                            "SECRET_KEY": "x" * 40}})
assert app.template_folder.startswith({str(site)!r}), app.template_folder
with app.app_context():
    upgrade()
response = app.test_client().get("/sign-in")
assert response.status_code == 200, response.status_code
print("ok")
"""
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ok")
