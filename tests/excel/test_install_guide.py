"""The README's install guide names what the code and the pinned xlwings actually do."""
from __future__ import annotations

import importlib.metadata as md
import re
from pathlib import Path

import xlwings

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
GUIDE = README[README.index("## In Excel: install guide"):README.index("## Accounting rules")]


def test_the_guide_names_the_xlwings_that_ardesk_pins():
    pins = [r for r in md.requires("ardesk") if r.startswith("xlwings")]
    assert pins == [f"xlwings=={xlwings.__version__}"]
    assert f"This installs xlwings {xlwings.__version__}" in " ".join(GUIDE.split())


def test_the_mac_step_puts_the_versioned_applescript_where_the_guide_says(tmp_path, monkeypatch):
    """`xlwings runpython install` (registered on macOS only) copies xlwings' AppleScript, named with
    its version, into the folder the guide names; the function itself runs anywhere."""
    from xlwings import cli
    monkeypatch.setenv("HOME", str(tmp_path))
    cli.runpython_install(None)
    folder = "Library/Application Scripts/com.microsoft.Excel"
    assert [p.name for p in (tmp_path / folder).iterdir()] == [f"xlwings-{xlwings.__version__}.applescript"]
    assert "`xlwings runpython install`" in GUIDE and f"~/{folder}/" in GUIDE


def test_the_lite_steps_name_the_files_build_lite_writes(tmp_path):
    from ardesk.excel.lite_build import build_lite, wheel_name
    written = [p.name for p in build_lite(tmp_path, "https://intranet.example.com/lite/" + wheel_name())]
    lite = GUIDE[GUIDE.index("### xlwings Lite"):GUIDE.index("### xlwings Server")]
    named = set(re.findall(r"`dist-lite/([^`]+)`", lite))
    assert set(written) == named, (written, named)
