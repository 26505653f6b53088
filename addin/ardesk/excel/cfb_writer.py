"""A small writer for Compound File Binary files ([MS-CFB], version 3).

``vbaProject.bin`` is a compound file: a little file system in one file,
with storages (folders) and streams (files).  olefile reads compound files
and can overwrite a stream in place with data of the same length, but it
cannot create a file or add a stream, and no maintained PyPI package writes
them, so this module does -- only what ``vbaProject.bin`` needs:

* version 3 (512-byte sectors, [MS-CFB] 2.2), no DIFAT sectors (up to
  109 FAT sectors, i.e. files up to about 7 MB);
* streams shorter than the 4096-byte cutoff go to the mini stream
  (64-byte mini sectors, [MS-CFB] 2.5 and 2.6.3), the others to regular
  sectors;
* every sibling list is written as a balanced binary search tree in the
  order [MS-CFB] 2.6.4 prescribes (shorter names first, then upper-cased
  code points), coloured as a valid red-black tree;
* no timestamps, no CLSIDs, fixed layout: the same tree gives the same bytes.

Layout of the file: header, FAT sectors, directory sectors, mini FAT
sectors, the mini stream (the root entry's stream), then each large stream.

Usage::

    data = write_compound_file({"PROJECT": b"...", "VBA": {"dir": b"..."}})

A dict value that is itself a dict is a storage; ``bytes`` is a stream.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Mapping, Union

__all__ = ["write_compound_file", "Tree"]

Tree = Mapping[str, Union[bytes, "Tree"]]

SECTOR_SIZE = 512                 # version 3: sector shift 9
MINI_SECTOR_SIZE = 64             # mini sector shift 6
MINI_STREAM_CUTOFF = 4096
DIR_ENTRY_SIZE = 128

MAXREGSECT = 0xFFFFFFFA
DIFSECT = 0xFFFFFFFC
FATSECT = 0xFFFFFFFD
ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF
NOSTREAM = 0xFFFFFFFF

OBJ_UNKNOWN, OBJ_STORAGE, OBJ_STREAM, OBJ_ROOT = 0, 1, 2, 5
RED, BLACK = 0, 1

SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list["_Entry"] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4: compare by length first, then by upper-cased name.

    The spec upper-cases with the simple Unicode case mapping; ``str.upper``
    agrees for every name used here (ASCII).
    """
    return (len(name.encode("utf-16-le")), name.upper())


def _check_name(name: str) -> None:
    # [MS-CFB] 2.6.1: at most 31 UTF-16 code units plus the terminator,
    # and none of '/', '\\', ':', '!'.
    if not name or len(name.encode("utf-16-le")) > 62:
        raise ValueError(f"compound file entry name too long or empty: {name!r}")
    if any(c in name for c in "/\\:!"):
        raise ValueError(f"illegal character in compound file entry name: {name!r}")


def _build_entries(name: str, tree: Tree, kind: int) -> _Entry:
    entry = _Entry(name=name, kind=kind)
    seen: set[str] = set()
    for child_name, value in tree.items():
        _check_name(child_name)
        if child_name.upper() in seen:
            raise ValueError(f"duplicate entry name (case-insensitive): {child_name!r}")
        seen.add(child_name.upper())
        if isinstance(value, Mapping):
            entry.children.append(_build_entries(child_name, value, OBJ_STORAGE))
        else:
            entry.children.append(_Entry(name=child_name, kind=OBJ_STREAM, data=bytes(value)))
    entry.children.sort(key=lambda e: _sort_key(e.name))
    return entry


def _number(root: _Entry) -> list[_Entry]:
    """Assign directory stream ids breadth-first (root is 0)."""
    order: list[_Entry] = []
    queue = [root]
    while queue:
        entry = queue.pop(0)
        entry.sid = len(order)
        order.append(entry)
        queue.extend(entry.children)
    return order


def _link_siblings(parent: _Entry) -> None:
    """Make ``parent.children`` a balanced BST and colour it ([MS-CFB] 2.6.4).

    Median splitting keeps every missing-child slot on one of two adjacent
    levels; the nodes on the deepest level are coloured red, all others
    black, which satisfies the red-black rules (no red node has a red
    child; every path from the root to a leaf slot has the same number of
    black nodes).  ``_check_red_black`` verifies it.
    """
    kids = parent.children
    if not kids:
        return

    depth: dict[int, int] = {}

    def build(lo: int, hi: int, d: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = kids[mid]
        depth[id(node)] = d
        node.left = build(lo, mid, d + 1)
        node.right = build(mid + 1, hi, d + 1)
        return node.sid

    parent.child = build(0, len(kids), 0)
    deepest = max(depth.values())
    for node in kids:
        node.color = RED if deepest > 0 and depth[id(node)] == deepest else BLACK
    _check_red_black(parent)
    for node in kids:
        _link_siblings(node)


def _check_red_black(parent: _Entry) -> None:
    by_sid = {e.sid: e for e in parent.children}

    def black_height(sid: int, parent_red: bool) -> int:
        if sid == NOSTREAM:
            return 1
        node = by_sid[sid]
        red = node.color == RED
        if red and parent_red:
            raise AssertionError("red node with a red child")
        left = black_height(node.left, red)
        right = black_height(node.right, red)
        if left != right:
            raise AssertionError("unequal black heights")
        return left + (0 if red else 1)

    if by_sid[parent.child].color != BLACK:
        raise AssertionError("red root")
    black_height(parent.child, False)


def _dir_entry(e: _Entry | None) -> bytes:
    """One 128-byte directory entry ([MS-CFB] 2.6.1)."""
    if e is None:  # unused slot
        return (
            b"\x00" * 64
            + struct.pack("<HBB", 0, OBJ_UNKNOWN, RED)
            + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM)
            + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
            + struct.pack("<IQ", 0, 0)
        )
    raw_name = e.name.encode("utf-16-le") + b"\x00\x00"
    return (
        raw_name.ljust(64, b"\x00")
        + struct.pack("<HBB", len(raw_name), e.kind, e.color)
        + struct.pack("<III", e.left, e.right, e.child)
        + b"\x00" * 16          # CLSID
        + b"\x00" * 4           # state bits
        + b"\x00" * 16          # creation and modified time: not recorded
        + struct.pack("<IQ", e.start, e.size)
    )


def _pad(data: bytes, size: int) -> bytes:
    rest = len(data) % size
    return data + b"\x00" * ((size - rest) % size)


def write_compound_file(tree: Tree) -> bytes:
    """Serialise ``tree`` as a version-3 compound file and return the bytes."""
    root = _build_entries("Root Entry", tree, OBJ_ROOT)
    entries = _number(root)
    _link_siblings(root)
    streams = [e for e in entries if e.kind == OBJ_STREAM]

    # Mini stream: every stream below the cutoff, 64-byte aligned ([MS-CFB] 2.6.3).
    mini_stream = bytearray()
    mini_fat: list[int] = []
    for e in streams:
        e.size = len(e.data)
        if e.size >= MINI_STREAM_CUTOFF or e.size == 0:
            continue
        first = len(mini_fat)
        count = -(-e.size // MINI_SECTOR_SIZE)
        mini_fat.extend(range(first + 1, first + count))
        mini_fat.append(ENDOFCHAIN)
        e.start = first
        mini_stream += _pad(e.data, MINI_SECTOR_SIZE)
    big = [e for e in streams if e.size >= MINI_STREAM_CUTOFF]

    n_dir = -(-len(entries) * DIR_ENTRY_SIZE // SECTOR_SIZE)
    n_minifat = -(-len(mini_fat) * 4 // SECTOR_SIZE)
    n_ministream = -(-len(mini_stream) // SECTOR_SIZE)
    n_big = [-(-e.size // SECTOR_SIZE) for e in big]
    n_data = n_dir + n_minifat + n_ministream + sum(n_big)
    n_fat = 1
    while (n_fat + n_data) > n_fat * (SECTOR_SIZE // 4):
        n_fat += 1
    if n_fat > 109:
        raise ValueError("compound file too large for a header-only DIFAT")

    fat: list[int] = [FATSECT] * n_fat
    next_sector = n_fat

    def chain(count: int) -> int:
        nonlocal next_sector
        if count == 0:
            return ENDOFCHAIN
        first = next_sector
        fat.extend(range(first + 1, first + count))
        fat.append(ENDOFCHAIN)
        next_sector += count
        return first

    dir_start = chain(n_dir)
    minifat_start = chain(n_minifat)
    root.start = chain(n_ministream)
    root.size = len(mini_stream)
    for e, count in zip(big, n_big):
        e.start = chain(count)
    fat.extend([FREESECT] * (n_fat * (SECTOR_SIZE // 4) - len(fat)))

    difat = list(range(n_fat)) + [FREESECT] * (109 - n_fat)
    header = (
        SIGNATURE
        + b"\x00" * 16                                  # header CLSID
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + b"\x00" * 6                                   # reserved
        + struct.pack("<I", 0)                          # directory sectors: 0 in v3
        + struct.pack("<I", n_fat)
        + struct.pack("<I", dir_start)
        + struct.pack("<I", 0)                          # transaction signature
        + struct.pack("<I", MINI_STREAM_CUTOFF)
        + struct.pack("<I", minifat_start)
        + struct.pack("<I", n_minifat)
        + struct.pack("<I", ENDOFCHAIN)                 # first DIFAT sector
        + struct.pack("<I", 0)                          # DIFAT sectors
        + struct.pack("<109I", *difat)
    )
    assert len(header) == SECTOR_SIZE

    directory = b"".join(_dir_entry(e) for e in entries)
    directory += _dir_entry(None) * (n_dir * SECTOR_SIZE // DIR_ENTRY_SIZE - len(entries))
    out = bytearray(header)
    out += struct.pack(f"<{len(fat)}I", *fat)
    out += directory
    out += _pad(struct.pack(f"<{len(mini_fat)}I", *mini_fat), SECTOR_SIZE) if mini_fat else b""
    out += _pad(bytes(mini_stream), SECTOR_SIZE)
    for e in big:
        out += _pad(e.data, SECTOR_SIZE)
    assert len(out) == SECTOR_SIZE * (1 + next_sector)
    return bytes(out)
