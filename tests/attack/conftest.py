"""Attack tests: the shared workbook under faults and bad input (see attacks.py)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ardesk.demo import build_demo  # noqa: E402


@pytest.fixture(scope="session")
def attack_master(tmp_path_factory) -> Path:
    """A demo workbook (40 customers) with its run log, built once."""
    d = tmp_path_factory.mktemp("attack")
    result = build_demo(d / "books.xlsx", customers=40, period="2026-10")
    assert result.ok, result.summary["problems"]
    return d / "books.xlsx"


@pytest.fixture
def books(attack_master, tmp_path) -> Path:
    """A private copy of the demo workbook, its run log and its bank files."""
    for f in attack_master.parent.iterdir():
        if f.is_dir():
            shutil.copytree(f, tmp_path / f.name)
        elif ".bak" not in f.name:
            shutil.copy2(f, tmp_path / f.name)
    return tmp_path / "books.xlsx"


@pytest.fixture
def bank_file(tmp_path) -> Path:
    """A bank CSV with receipts the demo has not seen (its period, the simple profile)."""
    p = tmp_path / "november.csv"
    p.write_text("date,amount,payer,reference\n"
                 + "".join(f"2026-10-{d:02d},{100 + d}.25,Walk-in {d},cash deposit {d}\n" for d in range(1, 29)),
                 encoding="utf-8")
    return p
