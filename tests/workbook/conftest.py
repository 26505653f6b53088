from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from ardesk.demo import build_demo

REPO = Path(__file__).resolve().parents[2]


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory) -> Path:
    """A small demo workbook (60 customers, Aug-Oct 2026), built once per session."""
    d = tmp_path_factory.mktemp("demo")
    result = build_demo(d / "demo.xlsx", customers=60, period="2026-10")
    assert result.ok, result.summary["problems"]
    return d / "demo.xlsx"


@pytest.fixture
def demo(demo_master, tmp_path) -> Path:
    """A private copy of the demo workbook and its bank files."""
    for f in demo_master.parent.iterdir():
        if f.suffix in (".xlsx", ".csv") and ".bak" not in f.name:
            shutil.copy2(f, tmp_path / f.name)
    return tmp_path / "demo.xlsx"


@pytest.fixture(scope="session")
def logged_demo(tmp_path_factory) -> Path:
    """A smaller demo workbook (30 customers) with the run log its runs kept beside it, built once."""
    d = tmp_path_factory.mktemp("logged")
    assert build_demo(d / "books.xlsx", customers=30, period="2026-10").ok
    return d / "books.xlsx"


def logged_copy(book: Path, folder: Path) -> Path:
    """A private copy of ``book`` and its run log in ``folder``."""
    shutil.copy2(book, folder / book.name)
    shutil.copytree(book.with_name(book.stem + ".ardesk"), folder / (book.stem + ".ardesk"))
    return folder / book.name


def tables(path: Path) -> dict[str, list]:
    """Every table's rows, read independently of ardesk's adapters."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path), load_tables=True)
    return {name: wb.get_table_by_name(name).to_python() for name in wb.table_names}
