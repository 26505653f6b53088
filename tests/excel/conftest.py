"""Fixtures for the xlwings layer: a demo workbook on disk, run through xlwings' remote engine.

The remote engine (xlwings Server / xlwings Lite, in ``xlwings.pro``) needs a
licence key; the noncommercial key is set for these tests only.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Changes

from .xlremote_helpers import PERIOD


# xlwings picks its engines when it is first imported (test modules import it while
# being collected), so the key is set as this conftest loads and removed after the session.
_LICENCE = pytest.MonkeyPatch()
_LICENCE.setenv("XLWINGS_LICENSE_KEY", "noncommercial")


@pytest.fixture(scope="session", autouse=True)
def remote_licence():
    from ardesk.excel import buttons, udfs
    buttons.register_scripts()
    udfs.register()
    yield
    _LICENCE.undo()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A demo workbook before October's month-end, its October bank file in the inbox folder."""
    from ardesk.demo import build_demo
    d = tmp_path_factory.mktemp("demo")
    wb = d / "billing.xlsx"
    build_demo(wb, customers=60, period=PERIOD, dry_run=True)
    inbox = d / "inbox"
    inbox.mkdir()
    shutil.move(str(d / f"billing-bank-{PERIOD}.csv"), inbox / "bank-2026-10.csv")
    ch = Changes()
    ch.names["BankInbox"] = str(inbox)
    FileWorkbook(wb).write(ch, backup=False)
    return d


@pytest.fixture
def pair(demo_dir, tmp_path):
    """Two copies of the demo workbook: one for the remote engine, one for the file adapter."""
    remote, local = tmp_path / "remote.xlsx", tmp_path / "file.xlsx"
    shutil.copy(demo_dir / "billing.xlsx", remote)
    shutil.copy(demo_dir / "billing.xlsx", local)
    return remote, local


