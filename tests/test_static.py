"""The static checks are part of the test run, so CI cannot land code that fails them."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*command: str) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_mypy_strict_is_clean() -> None:
    _run(sys.executable, "-m", "mypy")


def test_ruff_lint_is_clean() -> None:
    _run(sys.executable, "-m", "ruff", "check", "gateway", "tests", "bench")


def test_ruff_format_is_clean() -> None:
    _run(sys.executable, "-m", "ruff", "format", "--check", "gateway", "tests", "bench")


def test_import_contracts_hold() -> None:
    _run(str(BIN / "lint-imports"), "--no-cache")


@pytest.mark.parametrize("package", ["b2", "translate"])
def test_package_never_imports_aiohttp_web(package: str) -> None:
    # import-linter cannot forbid a subpackage of an external package, so check this one here.
    offenders = []
    for path in (ROOT / "gateway" / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any(n == "aiohttp.web" or n.startswith("aiohttp.web_") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
