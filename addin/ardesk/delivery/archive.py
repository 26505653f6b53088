"""The documents folder: every issued document archived once as NUMBER.pdf (and NUMBER.xml).

The SHA-256 of each file is recorded on the Documents tab; a reprint reads the
archived file, and a file whose bytes no longer match its recorded hash is
reported, never sent.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path


class ArchiveError(ValueError):
    pass


def safe_name(number: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", number)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_once(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` atomically; an existing file must hold the same bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.exists():
        if path.read_bytes() != data:
            raise ArchiveError(f"archive file {path} exists with other content (SHA-256 "
                               f"{sha256(path.read_bytes())[:16]}..., expected {sha256(data)[:16]}...)")
        return path
    tmp = path.with_name(f".{name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def write_document(folder: Path, doc) -> None:
    """An issued document's NUMBER.pdf (and NUMBER.xml), each written once."""
    write_once(folder, safe_name(doc.number) + ".pdf", doc.pdf)
    if doc.xml:
        write_once(folder, safe_name(doc.number) + ".xml", doc.xml)


def read_checked(folder: Path, name: str, recorded: str) -> bytes:
    """The archived file, after checking it against the SHA-256 recorded when it was issued."""
    path = folder / name
    if not path.is_file():
        raise ArchiveError(f"archive file {path} is missing (recorded SHA-256 {recorded[:16]}...)")
    data = path.read_bytes()
    if sha256(data) != recorded:
        raise ArchiveError(f"archive file {path} was altered: its SHA-256 is {sha256(data)[:16]}..., "
                           f"recorded {recorded[:16]}... when it was issued")
    return data
