"""Fixtures for the offline plan's own tests (helpers live in tiny_programs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def program(tmp_path: Path) -> Path:
    return tmp_path / "program"
