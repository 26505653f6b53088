from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]          # the repository root
ADDIN = ROOT / "addin"
if str(ADDIN) not in sys.path:
    sys.path.insert(0, str(ADDIN))

# The shared corpus sits beside the checkout (../shared/corpus), or beside the folder of checkouts.
CORPUS = next((p for p in (ROOT.parent / "shared" / "corpus", ROOT.parents[1] / "shared" / "corpus")
               if p.is_dir()), ROOT.parent / "shared" / "corpus")


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("the shared bank-file corpus is not available")
    return CORPUS


@pytest.fixture
def write(tmp_path: Path):
    """Write a file in the test's folder and return its path."""
    def _write(name: str, content: str | bytes) -> Path:
        p = tmp_path / name
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        return p
    return _write
