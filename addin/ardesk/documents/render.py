"""Documents to PDF/A-3b through Typst (PyPI ``typst``, a self-contained compiler).

The template folder (``document.typ``, ``texts.json``) is copied with the logo
into a private folder that is the compiler's root: a template can read files
there and nowhere else, has no network and cannot run programs.  The data goes
in as JSON through ``sys.inputs.data``.  Fonts: Typst's own plus the folders
in :data:`FONT_DIRS` (DejaVu from Debian's fonts-dejavu-core covers Latin,
Greek, Cyrillic, Arabic and Hebrew).

Output is deterministic: the PDF's dates come from the document (its issue
date), so rendering an issued document again gives the same bytes.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Sequence

from .settings import DocumentSettings

FONT_DIRS = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/noto",
             "/usr/share/fonts/opentype/noto"]
ENTRY = "document.typ"


class TemplateError(ValueError):
    """A template that does not compile: the message names the template file and line."""


class Renderer:
    """One compiler for a run's documents (fonts and template parsed once)."""

    def __init__(self, ds: DocumentSettings):
        import typst
        self._dir = Path(tempfile.mkdtemp(prefix="ardesk-templates-"))
        for f in ds.templates.iterdir():
            if f.is_file():
                shutil.copyfile(f, self._dir / f.name)
        logo = ds.letterhead.logo
        if logo:
            shutil.copyfile(logo, self._dir / ("logo" + Path(logo).suffix.lower()))
        self.templates = ds.templates
        self._compiler = typst.Compiler(str(self._dir / ENTRY), root=str(self._dir),
                                        font_paths=[d for d in FONT_DIRS if Path(d).is_dir()])

    def close(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def render(self, documents: Sequence[dict], when: date, *, title: str = "", author: str = "",
               attachments: Sequence[dict] = (), cover: dict | None = None, duplex: bool = False,
               proof: bool = False) -> bytes:
        """One PDF/A-3b holding ``documents`` (each starts on a new page, or a new sheet when ``duplex``)."""
        batch = {"documents": list(documents), "title": title, "author": author, "duplex": duplex, "proof": proof,
                 "lang": documents[0]["lang"] if documents else "en"}
        if attachments:
            batch["attachments"] = list(attachments)
        if cover is not None:
            batch["cover"] = cover
        stamp = datetime(when.year, when.month, when.day, tzinfo=timezone.utc)
        try:
            return self._compiler.compile(format="pdf", sys_inputs={"data": json.dumps(batch, ensure_ascii=False)},
                                          pdf_standards="a-3b", timestamp=int(stamp.timestamp()))
        except Exception as exc:          # typst raises its own error type with the compiler's diagnostics
            raise TemplateError(self._explain(str(exc), getattr(exc, "diagnostic", "") or "")) from None

    def _explain(self, message: str, diagnostic: str) -> str:
        """Typst's diagnostic with the template's own name and line."""
        first = message.strip().splitlines()[0] if message.strip() else "error"
        m = re.search(r"([\w.-]+\.typ):(\d+)", diagnostic)
        where = f"{self.templates / Path(m.group(1)).name}, line {m.group(2)}" if m else str(self.templates / ENTRY)
        return f"template {where}: {first}"


def pages(pdf: bytes) -> int:
    """Number of pages of a PDF Typst wrote (its page tree counts them)."""
    found = re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", pdf)
    return max(map(int, found), default=0)
