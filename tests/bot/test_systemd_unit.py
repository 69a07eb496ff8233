"""docs/deploy/madoguchi.service is a unit systemd accepts, and runs the real command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "madoguchi.service"
INSTALLED = "/opt/madoguchi/.venv/bin/madoguchi"


def _verify(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install -y systemd)")
    unit = tmp_path / "madoguchi.service"
    unit.write_text(text, encoding="utf-8")
    return subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, check=False)


def _madoguchi() -> str:
    return str(Path(sys.executable).with_name("madoguchi"))


def test_the_unit_verifies_with_the_installed_command(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert f"ExecStart={INSTALLED} serve --log-format json" in text
    result = _verify(text.replace(INSTALLED, _madoguchi()), tmp_path)
    assert result.returncode == 0, result.stderr


def test_verification_would_catch_a_wrong_command_path(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8").replace(INSTALLED, str(tmp_path / "nowhere" / "madoguchi"))
    result = _verify(text, tmp_path)
    assert result.returncode != 0


def test_the_command_the_unit_runs_exists_and_accepts_its_options() -> None:
    result = subprocess.run([_madoguchi(), "serve", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "--log-format" in result.stdout
