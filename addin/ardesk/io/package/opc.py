"""An Open Packaging Conventions package (ECMA-376 Part 2), edited in place.

A workbook file is a zip of parts.  :class:`Package` reads a part only when
asked for it, remembers the parts a run replaced, and on :meth:`Package.save`
writes those anew and copies every other zip entry as the compressed bytes it
read (same CRC, same size): a chart, a pivot cache, a VBA project or a part
nobody here has heard of leaves the file exactly as it came.

Relationships (Part 2, §9.3) and content types (Part 2, §10.1.2) are read
through the same lazy parts; ``[Content_Types].xml`` is changed only when a
part is removed.
"""
from __future__ import annotations

import hashlib
import posixpath
import re
import time
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, Callable, Iterator
from xml.etree import ElementTree

from .segments import SYNC_MARK, Segment, Segments, crc32_combine

try:        # zlib-ng (``ardesk[fast]``): the same deflate streams, made and read two to three times as fast
    from zlib_ng import zlib_ng as deflate
except ImportError:
    deflate = zlib

RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


class Flush:
    """A piece of a part's content: the end of a segment (:mod:`.segments`).  The compressor is flushed in
    full there; ``meta`` (such as a sheet's last row) is kept with the segments of the written entry."""
    __slots__ = ("meta",)

    def __init__(self, **meta):
        self.meta = meta


class Raw:
    """A piece of a part's content: compressed bytes copied as they are from ``part`` of the package read,
    ``segment.packed`` bytes from ``offset`` of its stored data, whole segments (each ended by a full flush)
    that inflate to ``segment.size`` bytes of CRC-32 ``segment.crc``."""
    __slots__ = ("part", "offset", "segment")

    def __init__(self, part: str, offset: int, segment: Segment):
        self.part, self.offset, self.segment = part, offset, segment


# how a replaced part is written: its whole bytes, or pieces streamed in order (segment ends and raw
# copies among them)
Content = bytes | Callable[[], Iterator[bytes | memoryview | Flush | Raw]]
# deflate level of rewritten parts: zlib-ng's level 2 makes a big ledger sheet about 2.4 times as fast as
# zlib's level 3 (which was already 4 times as fast as its default, 6), for about 5 % more bytes
COMPRESS_LEVEL = 2 if deflate is not zlib else 3


class PackageError(Exception):
    """The file is not a package ardesk can edit (not a zip, a part missing...)."""


def rels_name(part: str) -> str:
    """The relationships part of ``part`` (Part 2, §9.3.3): xl/workbook.xml -> xl/_rels/workbook.xml.rels."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """A relationship target as a part name (no leading '/'), relative to the source part's folder."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


class Package:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError) as e:
            raise PackageError(f"{self.path.name}: not an Excel workbook ({e})") from None
        self._infos = {i.filename: i for i in self._zip.infolist()}
        self._read: dict[str, bytes] = {}
        self._new: dict[str, Content] = {}
        self._removed: set[str] = set()
        self.written: dict[str, tuple[list[Segment], dict]] = {}     # by save: segments (and meta) of an entry

    def close(self) -> None:
        self._zip.close()

    def fileno(self) -> int:
        """The descriptor of the file the package is read from."""
        return self._zip.fp.fileno()

    def __enter__(self) -> "Package":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- parts ----------------------------------------------------------------
    def names(self) -> list[str]:
        return [n for n in self._infos if n not in self._removed] + [n for n in self._new if n not in self._infos]

    def has(self, part: str) -> bool:
        return (part in self._infos or part in self._new) and part not in self._removed

    def read(self, part: str) -> bytes:
        """The bytes of a part, as stored (or as replaced in this run, when given as bytes)."""
        new = self._new.get(part)
        if isinstance(new, bytes):
            return new
        if part not in self._read:
            if part not in self._infos:
                raise PackageError(f"{self.path.name}: the part {part} is missing")
            self._read[part] = self._zip.read(part)
        return self._read[part]

    def open(self, part: str) -> BinaryIO:
        """A part as a stream of its bytes, for parts too big to hold whole."""
        if part not in self._infos or part in self._removed:
            raise PackageError(f"{self.path.name}: the part {part} is missing")
        info = self._infos[part]
        if info.compress_type != zipfile.ZIP_DEFLATED:
            return self._zip.open(part)
        return _Inflating(self._zip, info)

    def replace(self, part: str, content: Content) -> None:
        self._new[part] = content
        self._removed.discard(part)

    def remove(self, part: str) -> None:
        self._new.pop(part, None)
        self._removed.add(part)

    def digest(self, part: str) -> str:
        """:func:`entry_digest` of a part as this package's file stores it."""
        if part not in self._infos:
            raise PackageError(f"{self.path.name}: the part {part} is missing")
        return entry_digest(self._zip, self._infos[part])

    def changed(self) -> set[str]:
        return set(self._new) | self._removed

    def relationships(self, part: str) -> list[dict[str, str]]:
        """The relationships of ``part`` (empty when it has none), each with Id, Type, Target as part name."""
        name = rels_name(part)
        if not self.has(name):
            return []
        root = ElementTree.fromstring(self.read(name))
        out = []
        for rel in root.iter(f"{{{RELS_NS}}}Relationship"):
            d = dict(rel.attrib)
            if d.get("TargetMode") != "External":
                d["Target"] = resolve(part, d["Target"])
            out.append(d)
        return out

    # -- writing ----------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the package to ``path``: replaced parts anew, every other entry copied raw, in the original order."""
        with open(path, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as out:
            for name, info in self._infos.items():
                if name in self._removed:
                    continue
                if name in self._new:
                    self._write(out, name)
                else:
                    _copy_raw(self._zip, out, info)
            for name in self._new:
                if name not in self._infos:
                    self._write(out, name)

    def _write(self, out: zipfile.ZipFile, name: str) -> None:
        """One part deflated into ``out`` (APPNOTE 4.3.7): the local header (Zip64, as the sizes are not known
        yet), the data, then the header again with CRC-32 and sizes.  A content cut by :class:`Flush` pieces
        is written in segments, each ended by a full flush (:mod:`.segments`), and :attr:`written` keeps them;
        a :class:`Raw` piece is copied as stored, right after a full flush."""
        content = self._new[name]
        info = zipfile.ZipInfo(name, time.localtime()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        info.CRC = info.file_size = info.compress_size = 0
        fp = out.fp
        info.header_offset = fp.tell()
        fp.write(info.FileHeader(True))
        segments: list[Segment] = []
        meta: dict = {}
        packer = None
        crc = size = packed = 0         # of the segment being written
        for piece in [content] if isinstance(content, bytes) else content():
            if isinstance(piece, (Raw, Flush)):
                if packer is not None:
                    data = packer.flush(deflate.Z_FULL_FLUSH)
                    fp.write(data)
                    packed += len(data)
                    packer = None
                if isinstance(piece, Flush):
                    segments.append(Segment(packed, size, crc))
                    meta.update(piece.meta)
                    crc = size = packed = 0
                    continue
                seg = piece.segment
                for chunk in stored_bytes(self._zip, self._infos[piece.part], piece.offset, seg.packed):
                    fp.write(chunk)
                crc, size, packed = crc32_combine(crc, seg.crc, seg.size), size + seg.size, packed + seg.packed
                continue
            if packer is None:
                packer = deflate.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
            crc = deflate.crc32(piece, crc)
            size += len(piece)
            data = packer.compress(piece)
            packed += len(data)
            fp.write(data)
        data = (packer or deflate.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)).flush()
        fp.write(data)
        segments.append(Segment(packed + len(data), size, crc))
        info.CRC = segments[0].crc
        for seg in segments[1:]:
            info.CRC = crc32_combine(info.CRC, seg.crc, seg.size)
        info.file_size, info.compress_size = sum(s.size for s in segments), sum(s.packed for s in segments)
        if len(segments) > 1:
            self.written[name] = (segments, meta)
        end = fp.tell()
        fp.seek(info.header_offset)
        fp.write(info.FileHeader(True))
        fp.seek(end)
        _entered(out, info)

    # -- segments -------------------------------------------------------------------
    def segmented(self, part: str, table: Segments) -> tuple[bytes, Raw, bytes] | None:
        """The head and tail of a part written in segments (:meth:`_write`), inflated, and its rows as a
        :class:`Raw` copy, when ``table`` describes the entry as stored: the segments add up to its sizes and
        CRC-32, the head and rows end with a full flush, the head inflates from the start of the data and the
        tail from its own offset (a fresh inflater: the history was reset) to the end of the stream, each to
        its length and CRC-32.  None on anything else."""
        info = self._infos.get(part)
        if info is None or part in self._removed or info.compress_type != zipfile.ZIP_DEFLATED \
                or not table.fits(info.compress_size, info.file_size, info.CRC):
            return None
        head, rows, tail = table.head, table.rows, table.tail
        try:
            marks = [b"".join(stored_bytes(self._zip, info, end - len(SYNC_MARK), len(SYNC_MARK)))
                     for end in (head.packed, head.packed + rows.packed) if end >= len(SYNC_MARK)]
            if marks != [SYNC_MARK, SYNC_MARK]:
                return None
            first = self._inflated(info, 0, head, final=False)
            last = self._inflated(info, head.packed + rows.packed, tail, final=True)
        except PackageError:
            return None
        if first is None or last is None:
            return None
        return first, Raw(part, head.packed, rows), last

    def _inflated(self, info: zipfile.ZipInfo, offset: int, seg: Segment, final: bool) -> bytes | None:
        """One segment of an entry inflated on its own; None unless it gives ``seg.size`` bytes of CRC-32
        ``seg.crc`` and ends the stream exactly when ``final``."""
        inflater = deflate.decompressobj(-15)
        try:
            data = inflater.decompress(b"".join(stored_bytes(self._zip, info, offset, seg.packed)))
            if not final:
                data += inflater.flush()
        except (zlib.error, deflate.error):
            return None
        if len(data) != seg.size or deflate.crc32(data) != seg.crc or inflater.eof != final or inflater.unused_data:
            return None
        return data


def _copy_raw(src: zipfile.ZipFile, dst: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Copy one zip entry without decompressing it (APPNOTE 4.3.7: local header, then the data)."""
    data = stored_bytes(src, info)
    new = zipfile.ZipInfo(info.filename, info.date_time)
    new.compress_type = info.compress_type
    new.CRC, new.compress_size, new.file_size = info.CRC, info.compress_size, info.file_size
    new.external_attr, new.create_system = info.external_attr, info.create_system
    new.flag_bits = info.flag_bits & ~0x08          # sizes go in the local header, no data descriptor
    zip64 = info.file_size > zipfile.ZIP64_LIMIT or info.compress_size > zipfile.ZIP64_LIMIT
    new.header_offset = dst.fp.tell()
    dst.fp.write(new.FileHeader(zip64))
    for chunk in data:
        dst.fp.write(chunk)
    _entered(dst, new)


def _entered(dst: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Enter an entry written to ``dst`` by hand in its central directory."""
    dst.filelist.append(info)
    dst.NameToInfo[info.filename] = info
    dst.start_dir = dst.fp.tell()
    dst._didModify = True


class _Inflating:
    """A deflated zip entry read as a stream: inflated a chunk at a time from its stored bytes, its CRC-32
    and size checked once it is all read (as zipfile does)."""

    def __init__(self, src: zipfile.ZipFile, info: zipfile.ZipInfo):
        self._name, self._info = Path(src.filename).name, info
        self._chunks = stored_bytes(src, info)
        self._inflate = deflate.decompressobj(-15)
        self._held: list[bytes] = []
        self._size = self._crc = self._count = 0
        self._done = False

    def __enter__(self) -> "_Inflating":
        return self

    def __exit__(self, *exc) -> None:
        self._chunks.close()

    def read(self, n: int = -1) -> bytes:
        while not self._done and (n < 0 or self._size < n):
            chunk = next(self._chunks, None)
            data = self._inflate.decompress(chunk) if chunk is not None else self._inflate.flush()
            self._crc = deflate.crc32(data, self._crc)
            self._count += len(data)
            self._held.append(data)
            self._size += len(data)
            if chunk is None:
                self._done = True
                if self._crc != self._info.CRC or self._count != self._info.file_size:
                    raise PackageError(f"{self._name}: the zip entry {self._info.filename} is damaged (its CRC-32 "
                                       "or size does not match its data)")
        data = b"".join(self._held)
        if 0 <= n < len(data):
            data, rest = data[:n], data[n:]
            self._held, self._size = [rest], len(rest)
        else:
            self._held, self._size = [], 0
        return data


def stored_bytes(src: zipfile.ZipFile, info: zipfile.ZipInfo, start: int = 0, length: int | None = None
                 ) -> Iterator[bytes]:
    """The data of one zip entry as stored (still compressed), in chunks, after checking its local header;
    ``length`` bytes from ``start`` of it when given."""
    fp = src.fp
    fp.seek(info.header_offset)
    header = fp.read(zipfile.sizeFileHeader)
    if header[:4] != zipfile.stringFileHeader:
        raise PackageError(f"{Path(src.filename).name}: the zip entry {info.filename} is damaged")
    name_len, extra_len = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
    if start < 0 or start + (length or 0) > info.compress_size:
        raise PackageError(f"{Path(src.filename).name}: the zip entry {info.filename} holds no bytes {start} to "
                           f"{start + (length or 0)}")
    offset = info.header_offset + zipfile.sizeFileHeader + name_len + extra_len + start
    remaining = info.compress_size - start if length is None else length
    while remaining:
        fp.seek(offset)                 # the caller may use the file between two chunks
        chunk = fp.read(min(remaining, 1 << 20))
        if not chunk:
            raise PackageError(f"{Path(src.filename).name}: the zip entry {info.filename} is cut short")
        offset += len(chunk)
        remaining -= len(chunk)
        yield chunk


def entry_digest(src: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """What identifies one zip entry's content: the SHA-256 of its stored bytes, with the compression
    method, CRC-32 and sizes the central directory gives (two entries alike in all of these hold the
    same part)."""
    h = hashlib.sha256()
    for chunk in stored_bytes(src, info):
        h.update(chunk)
    return f"{h.hexdigest()}:{info.compress_type}:{info.CRC:08x}:{info.compress_size}:{info.file_size}"


_ATTR = re.compile(rb'\s([\w:]+)="([^"]*)"')


def attributes(start_tag: bytes) -> dict[bytes, bytes]:
    """The attributes of one XML start tag, as written (no entity decoding)."""
    return dict(_ATTR.findall(start_tag))
