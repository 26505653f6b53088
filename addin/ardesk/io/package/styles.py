"""Cell formats looked up in, and added to, the styles part (ECMA-376 Part 1, §18.8).

A cell names its format by an index into ``cellXfs`` (§18.8.10); each ``xf``
(§18.8.45) names a number format by id, built in (§18.8.30) or declared in
``numFmts`` (§18.8.31).  :class:`StyleBook` finds the plain ``xf`` (default
font, fill and border) for a number format code and adds the ``numFmt`` and
the ``xf`` only when the workbook has none yet, so the styles part is
rewritten only on the first run that needs a new format (a currency with
three decimals, say).
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape, unescape

from .opc import Package, attributes

PART = "xl/styles.xml"
# §18.8.30: the built-in formats ardesk's codes may coincide with
BUILTIN = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "@": 49}
FIRST_CUSTOM_ID = 164
_NUMFMTS = re.compile(rb"<numFmts\b[^>]*?(?:/>|>(.*?)</numFmts>)", re.S)
_NUMFMT = re.compile(rb"<numFmt\b[^>]*/?>")
_CELLXFS = re.compile(rb"<cellXfs\b[^>]*>(.*?)</cellXfs>", re.S)
_XF = re.compile(rb"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)
_ENTITIES = {"&quot;": '"', "&apos;": "'"}


class StyleBook:
    def __init__(self, pkg: Package):
        self.pkg = pkg
        self._data: bytes | None = None
        self._cache: dict[str, int] = {}
        self.changed = False

    def _xml(self) -> bytes:
        if self._data is None:
            self._data = self.pkg.read(PART)
        return self._data

    def _fmt_ids(self) -> dict[str, int]:
        out = dict(BUILTIN)
        m = _NUMFMTS.search(self._xml())
        for tag in _NUMFMT.findall(m.group(1) or b"") if m else ():
            a = attributes(tag)
            out[unescape(a[b"formatCode"].decode(), _ENTITIES)] = int(a[b"numFmtId"])
        return out

    def index(self, code: str) -> int:
        """The cellXfs index of a plain cell format with number format ``code``, added when missing."""
        if code in self._cache:
            return self._cache[code]
        ids = self._fmt_ids()
        fmt_id = ids.get(code)
        if fmt_id is None:
            fmt_id = max([FIRST_CUSTOM_ID - 1, *ids.values()]) + 1
            self._add_numfmt(fmt_id, code)
        xfs = _CELLXFS.search(self._xml())
        found = None
        for i, xf in enumerate(_XF.findall(xfs.group(1))):
            a = attributes(xf[:xf.index(b">") + 1])
            if (int(a.get(b"numFmtId", b"0")) == fmt_id and a.get(b"fontId", b"0") == b"0"
                    and a.get(b"fillId", b"0") == b"0" and a.get(b"borderId", b"0") == b"0"
                    and a.get(b"xfId", b"0") == b"0" and b"<alignment" not in xf and b"<protection" not in xf):
                found = i
                break
        if found is None:
            found = self._add_xf(fmt_id)
        self._cache[code] = found
        return found

    def _add_numfmt(self, fmt_id: int, code: str) -> None:
        data = self._xml()
        tag = b'<numFmt numFmtId="%d" formatCode="%s"/>' % (fmt_id, escape(code, {'"': "&quot;"}).encode())
        m = _NUMFMTS.search(data)
        if m is None:                      # numFmts comes first in the styleSheet (§18.8.39)
            at = data.index(b">", data.index(b"<styleSheet")) + 1
            data = data[:at] + b'<numFmts count="1">' + tag + b"</numFmts>" + data[at:]
        else:
            count = len(_NUMFMT.findall(m.group(1) or b"")) + 1
            inner = (m.group(1) or b"") + tag
            data = data[:m.start()] + b'<numFmts count="%d">' % count + inner + b"</numFmts>" + data[m.end():]
        self._set(data)

    def _add_xf(self, fmt_id: int) -> int:
        data = self._xml()
        m = _CELLXFS.search(data)
        count = len(_XF.findall(m.group(1)))
        xf = b'<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' % fmt_id
        start_tag = re.sub(rb'count="\d+"', b'count="%d"' % (count + 1), data[m.start():m.start(1)])
        data = data[:m.start()] + start_tag + m.group(1) + xf + b"</cellXfs>" + data[m.end():]
        self._set(data)
        return count

    def _set(self, data: bytes) -> None:
        self._data = data
        self.changed = True
        self.pkg.replace(PART, data)
