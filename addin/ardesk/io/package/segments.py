"""A deflated zip entry written in segments, so that rows can be appended without inflating it.

A deflate stream (RFC 1951) is cut at a *full flush*: the compressor ends its
block, emits an empty stored block (``00 00 ff ff``, so the output is byte
aligned) and forgets its history.  What is compressed after such a point
never refers back, so compressed bytes copied verbatim from before it can be
followed by a new compressor's raw output, and the whole is one valid
deflate stream (as pigz joins pieces compressed apart).  A ledger sheet is
written as three segments, each ended by a full flush (the last by the end of
the stream):

    head: up to and including <sheetData>     (holds the dimension, ECMA-376 Part 1 §18.3.1.35)
    rows: the row elements
    tail: </sheetData> to the end of the part

and for each its compressed length, inflated length and CRC-32 are kept
(:class:`Segments`, in the run log's commit line).  The next append rewrites
the head, copies the rows' compressed bytes as they are, compresses only the
new rows, then the tail; the entry's CRC-32 is combined from the segments'
(:func:`crc32_combine`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

SYNC_MARK = b"\x00\x00\xff\xff"     # the empty stored block a full flush ends with (RFC 1951 §3.2.4)

# CRC-32 (ISO 3309, the zip and zlib one) as polynomials over GF(2), reflected: bit 31 is x^0
_POLY = 0xEDB88320
_ONE = 1 << 31


def _multmodp(a: int, b: int) -> int:
    """a(x) * b(x) modulo the CRC-32 polynomial (``a`` not zero)."""
    m, p = _ONE, 0
    while True:
        if a & m:
            p ^= b
            if not a & (m - 1):
                return p
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _powers() -> list[int]:
    """x^(2^k) modulo the polynomial, k = 0..31 (x^(2^k) repeats with period 32 in k, as zlib uses it)."""
    out, p = [], 1 << 30           # x^1
    for _ in range(32):
        out.append(p)
        p = _multmodp(p, p)
    return out


_X2N = _powers()


def _x2nmodp(n: int, k: int) -> int:
    """x^(n * 2^k) modulo the polynomial."""
    p = _ONE
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A + B from crc1 = CRC-32(A), crc2 = CRC-32(B) and len2 = len(B), any length (zlib's
    ``crc32_combine``, which Python does not expose): CRC(A + B) = CRC(A) * x^(8 len2) + CRC(B) mod P."""
    if len2 < 0:
        raise ValueError(f"a negative length: {len2}")
    return _multmodp(_x2nmodp(len2, 3), crc1) ^ crc2


class Segment(NamedTuple):
    """One segment of a deflated entry: compressed length, inflated length, CRC-32 of the inflated bytes."""
    packed: int
    size: int
    crc: int


@dataclass(frozen=True)
class Segments:
    """How one worksheet entry was written: its head, rows and tail segments (in this order, the first
    at the start of the entry's data), and the number of its last row element (0: none)."""
    head: Segment
    rows: Segment
    tail: Segment
    last_row: int

    def to_json(self) -> dict:
        return {"head": list(self.head), "rows": list(self.rows), "tail": list(self.tail), "last_row": self.last_row}

    @classmethod
    def from_json(cls, d) -> "Segments | None":
        """The table as a commit line holds it; None when it is not one (a table written by something else)."""
        try:
            segs = [Segment(*(int(x) for x in d[k])) for k in ("head", "rows", "tail")]
            last = int(d["last_row"])
        except (KeyError, TypeError, ValueError):
            return None
        if last < 0 or any(v < 0 for s in segs for v in s):
            return None
        return cls(*segs, last)

    def fits(self, packed: int, size: int, crc: int) -> bool:
        """True when the segments add up to an entry of these sizes and CRC-32."""
        segs = (self.head, self.rows, self.tail)
        total = self.head.crc
        for s in segs[1:]:
            total = crc32_combine(total, s.crc, s.size)
        return sum(s.packed for s in segs) == packed and sum(s.size for s in segs) == size and total == crc
