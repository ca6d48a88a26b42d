"""`crm plugins new NAME` writes a plugin package that installs, lists and passes its own tests as generated."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from crmcore.errors import ValidationFailed
from crmcore.plugins.scaffold import scaffold

NAME = "visit_notes"


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scaffold(NAME, tmp_path_factory.mktemp("scaffold") / f"crm-{NAME}")


@pytest.fixture(scope="module")
def venv_python(package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment that sees this one's packages (crmcore, its dependencies, pip, setuptools),
    with the generated package installed in editable mode: what a developer does, without any download."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(root)],
                   check=True, timeout=120)
    python = root / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    inherited = "".join(f"site.addsitedir({path!r}); " for path in site.getsitepackages())
    Path(purelib, "_crmcore_environment.pth").write_text(f"import site; {inherited}\n")
    installed = subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                                "--no-index", "--editable", str(package)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    return python


def run_in_venv(python: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_the_generated_plugin_passes_its_own_tests(venv_python: Path, package: Path) -> None:
    result = run_in_venv(venv_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=package)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


def test_the_installed_plugin_shows_in_plugins_list(venv_python: Path, package: Path, crm, crm_settings) -> None:
    result = run_in_venv(venv_python, "-m", "crmcore.cli", "plugins", "list", "--json", cwd=package,
                         env={"CRM_DATABASE_URL": crm_settings.database_url})

    assert result.returncode == 0, result.stderr
    listed = {row["name"]: row for row in json.loads(result.stdout)}
    assert listed[NAME]["enabled"] is False
    assert listed[NAME]["version"] == "0.1.0"


def test_the_name_of_an_installed_plugin_is_refused(venv_python: Path, tmp_path: Path) -> None:
    result = run_in_venv(venv_python, "-m", "crmcore.cli", "plugins", "new", NAME, cwd=tmp_path)

    assert result.returncode == 1
    assert f"A plugin named '{NAME}' is already installed" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_package_has_the_plugin_shape(package: Path) -> None:
    expected = ["pyproject.toml", "README.md", "tests/conftest.py", f"tests/test_{NAME}.py",
                *(f"crm_{NAME}/{part}" for part in (
                    "__init__.py", "hooks.py", "models.py", "services.py", "jobs.py", "admin.py", "api.py",
                    "migrations/env.py", "migrations/script.py.mako", f"migrations/versions/{NAME}_0001_notes.py"))]
    assert [path for path in expected if not (package / path).is_file()] == []
    assert f'{NAME} = "crm_{NAME}:plugin"' in (package / "pyproject.toml").read_text()
    assert f'revision: str = "{NAME}_0001"' in (package / f"crm_{NAME}/migrations/versions/{NAME}_0001_notes.py"
                                                ).read_text()


def test_the_generated_code_passes_the_linter_with_its_own_configuration(package: Path) -> None:
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--no-cache", "."], cwd=package, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("bad", ["Visits", "visit-notes", "2visits", "visits_", "visit__notes", "class", "core",
                                 "x" * 41, ""])
def test_a_name_that_cannot_be_a_plugin_is_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as refused:
        scaffold(bad, tmp_path / "out")

    assert "name" in refused.value.errors
    assert list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")

    with pytest.raises(ValidationFailed) as refused:
        scaffold("visits", tmp_path)

    assert "directory" in refused.value.errors
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_the_default_directory_is_crm_name_in_the_current_directory(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    assert scaffold("visits") == tmp_path / "crm-visits"
