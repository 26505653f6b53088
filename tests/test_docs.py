"""The README documents every command and every tab."""
from pathlib import Path

from ardesk import schema
from ardesk.cli import build_parser

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_cli_command_is_in_the_readme():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    missing = [name for name in sub.choices if f"`ardesk {name}" not in README]
    assert missing == []


def test_every_tab_is_described():
    missing = [s for s in schema.SHEET_ORDER if f"| {s} |" not in README]
    assert missing == []


def test_readme_gives_the_two_setup_commands():
    assert ".venv/bin/ardesk demo" in README and "scripts/test.sh" in README
