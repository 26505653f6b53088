"""The lock ardesk holds on a workbook while a run works: Excel's own owner file.

Excel marks an open workbook with ``~$NAME.xlsx`` beside it, holding the
user's name; a colleague who opens the workbook meanwhile is offered a
read-only copy and told who has it.  ardesk writes the same file, in the same
layout (a length byte and the name in ANSI padded to 54 bytes, then a 16-bit
length and the name in UTF-16LE, 165 bytes in all), so Excel treats ardesk as
one more user.  ardesk also respects LibreOffice's ``.~lock.NAME#``.

A lock left behind by an ardesk process that died (killed during a run) is
recognised by the note ``lock.json`` in the run-log folder (host and process
id) and removed by the next run; any other owner file stops the run.
"""
from __future__ import annotations

import json
import os
import socket
import struct
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from .port import WorkbookError

OWNER_SIZE = 165


def owner_file(path: Path) -> Path:
    return path.with_name("~$" + path.name)


def libreoffice_lock(path: Path) -> Path:
    return path.with_name(f".~lock.{path.name}#")


def owner_bytes(user: str) -> bytes:
    """An Excel owner file naming ``user``."""
    name = user[:53] or "ardesk"
    ansi = name.encode("latin-1", "replace")
    head = bytes([len(ansi)]) + ansi.ljust(53, b" ")
    wide = struct.pack("<H", len(name)) + name.encode("utf-16-le")
    body = head + wide
    return body.ljust(OWNER_SIZE, b" ")[:max(OWNER_SIZE, len(body))]


def owner_name(data: bytes) -> str:
    """The user named by an Excel owner file, as well as it can be read."""
    if not data:
        return "someone"
    n = data[0]
    if 0 < n <= 53 and len(data) >= 56:
        wide_len = struct.unpack("<H", data[54:56])[0]
        wide = data[56:56 + 2 * wide_len]
        if wide_len and len(wide) == 2 * wide_len:
            try:
                return wide.decode("utf-16-le")
            except UnicodeDecodeError:
                pass
        return data[1:1 + n].decode("latin-1")
    return "someone"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _since(p: Path) -> str:
    try:
        return datetime.fromtimestamp(p.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except OSError:
        return "?"


@contextmanager
def workbook_lock(path: Path, note_dir: Path, user: str) -> Iterator[None]:
    """Hold the owner file of ``path`` for the duration; refuse when anybody else holds it."""
    lo = libreoffice_lock(path)
    if lo.exists():
        who = lo.read_bytes()[:400].split(b",")[0].decode("utf-8", "replace").strip() or "someone"
        raise WorkbookError(f"{path.name} is open in LibreOffice by {who} (since {_since(lo)}); nothing was "
                            "written. Ask them to close it, then run again.")
    owner = owner_file(path)
    note = note_dir / "lock.json"
    me = {"host": socket.gethostname(), "pid": os.getpid(), "user": user}
    data = owner_bytes(user)
    for attempt in (1, 2):
        try:
            fd = os.open(owner, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if attempt == 1 and _stale_ardesk_lock(owner, note):
                continue
            try:
                who = owner_name(owner.read_bytes()[:400])
            except OSError:
                who = "someone"
            raise WorkbookError(
                f"{path.name} is open by {who} (since {_since(owner)}; {owner.name} exists); nothing was written. "
                "Ask them to close it, or run this step from the ardesk ribbon in their Excel. If nobody has it "
                f"open, delete {owner.name}.") from None
        break
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    try:
        note_dir.mkdir(exist_ok=True)
        note.write_text(json.dumps(me))
    except OSError:
        pass
    try:
        yield
    finally:
        for p in (note, owner):
            try:
                p.unlink()
            except OSError:
                pass


def _stale_ardesk_lock(owner: Path, note: Path) -> bool:
    """True (and the owner file removed) when it was left by an ardesk process of this host that is gone."""
    try:
        info = json.loads(note.read_text())
    except (OSError, ValueError):
        return False
    if info.get("host") != socket.gethostname() or _alive(int(info.get("pid", 0))):
        return False
    try:
        if owner.read_bytes() != owner_bytes(str(info.get("user", ""))):
            return False
        owner.unlink()
        note.unlink()
    except OSError:
        return False
    return True
