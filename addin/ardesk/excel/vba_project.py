"""Write a source-only VBA project (``vbaProject.bin``) as [MS-OVBA] describes it.

A VBA project normally carries compiled p-code next to the source.  [MS-OVBA]
lets a writer leave the p-code out: with ``_VBA_PROJECT`` reduced to its
7-byte header and version 0xFFFF (2.3.4.1) and each module's source starting
at offset 0 of its stream (MODULEOFFSET, 2.3.4.2.3.2.5), Office ignores the
missing performance cache and compiles the source when the file is opened.

The storages and streams written ([MS-OVBA] 2.2):

``PROJECT``
    the project information as text (2.3.1), including the encrypted
    protection state, password and visibility (2.4.3, "Data Encryption").
``PROJECTwm``
    module names in MBCS and UTF-16 (2.3.3).
``VBA/_VBA_PROJECT``
    the 7-byte header (2.3.4.1).
``VBA/dir``
    the compressed (2.4.1) binary project information: project records,
    references, module records (2.3.4.2).
``VBA/<module>``
    each module's source, ``Attribute`` lines first, compressed (2.3.4.3).

No maintained PyPI package writes these (oletools and olefile read them;
the few writers published are pre-1.0 single-purpose projects), so the
compression and the records are implemented here and the compound file by
:mod:`ardesk.excel.cfb_writer`.  Nothing depends on the clock or on random
numbers: the project GUID and the encryption seeds are fixed inputs, so a
project is a pure function of its modules.
"""
from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass
from typing import Iterable, Literal

from .cfb_writer import write_compound_file

__all__ = [
    "VbaModule",
    "compress",
    "build_vba_project",
    "document_module",
    "class_module",
    "standard_module",
    "encrypt_data",
    "decrypt_data",
    "OFFICE_REFERENCE",
    "STDOLE_REFERENCE",
]

CODEPAGE = 1252
ENCODING = "cp1252"
LCID = 0x0409

# [MS-OVBA] 2.3.4.1: Reserved1 0x61CC, Version 0xFFFF (no p-code cache to
# trust), Reserved2 0x00, Reserved3 (ignored).
VBA_PROJECT_HEADER = struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0000)

# VB_Base class ids of Excel's document modules.
WORKBOOK_BASE = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "0{00020820-0000-0000-C000-000000000046}"

# References every Excel project gets (REFERENCEREGISTERED libids, 2.1.1.8).
# Office resolves a registered reference through the type library's GUID and
# version in the registry; the path is a hint.
STDOLE_REFERENCE = (
    "stdole",
    "*\\G{00020430-0000-0000-C000-000000000046}#2.0#0#"
    "C:\\Windows\\System32\\stdole2.tlb#OLE Automation",
)
OFFICE_REFERENCE = (
    "Office",
    "*\\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
    "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL"
    "#Microsoft Office 16.0 Object Library",
)

ModuleKind = Literal["standard", "class", "document"]


@dataclass(frozen=True)
class VbaModule:
    """One module: its name, kind and full stream text.

    ``code`` is the text exactly as stored in the module stream, starting
    with the ``Attribute VB_Name`` line (use :func:`standard_module`,
    :func:`class_module` or :func:`document_module` to build it).  Line
    breaks are normalised to CRLF when the project is written.
    """

    name: str
    kind: ModuleKind
    code: str

    @property
    def stream_text(self) -> str:
        return crlf(self.code)


def crlf(text: str) -> str:
    """Normalise line breaks to CRLF and end with one."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return "\r\n".join(lines) + "\r\n"


def _strip_header(source: str) -> str:
    """Drop an exported file's ``VERSION``/``BEGIN..END`` block.

    ``.cls`` exports start with ``VERSION 1.0 CLASS`` and a ``BEGIN``/``END``
    block that the VBE reads on import but that is not part of the stream.
    """
    lines = source.replace("\r\n", "\n").split("\n")
    i = 0
    if lines and lines[0].startswith("VERSION "):
        i = 1
        if i < len(lines) and lines[i].strip() == "BEGIN":
            while i < len(lines) and lines[i].strip() != "END":
                i += 1
            i += 1
    return "\n".join(lines[i:])


def _split_attributes(source: str) -> tuple[list[str], str]:
    """Return the module-level ``Attribute`` lines and the code after them."""
    lines = _strip_header(source).split("\n")
    attrs: list[str] = []
    while lines and lines[0].startswith("Attribute VB_"):
        attrs.append(lines.pop(0))
    return attrs, "\n".join(lines)


def standard_module(name: str, source: str) -> VbaModule:
    """A standard module; a leading ``Attribute VB_Name`` must match ``name``."""
    attrs, body = _split_attributes(source)
    _check_vb_name(name, attrs)
    return VbaModule(name, "standard", f'Attribute VB_Name = "{name}"\n' + body)


def class_module(name: str, source: str) -> VbaModule:
    """A class module, from a ``.cls`` export (VERSION/BEGIN block dropped).

    The export's own class attributes are kept; the ones Office requires
    ([MS-OVBA] 2.3.4.3.1 lists them for class modules) are added when missing.
    """
    attrs, body = _split_attributes(source)
    _check_vb_name(name, attrs)
    required = {
        "VB_Name": f'"{name}"',
        "VB_GlobalNameSpace": "False",
        "VB_Creatable": "False",
        "VB_PredeclaredId": "False",
        "VB_Exposed": "False",
    }
    present = {a.split("=", 1)[0].split()[1]: a for a in attrs}
    lines = []
    for key, value in required.items():
        lines.append(present.pop(key, f"Attribute {key} = {value}"))
    lines.extend(present.values())
    return VbaModule(name, "class", "\n".join(lines) + "\n" + body)


def document_module(name: str, base: str, source: str = "") -> VbaModule:
    """A document module (ThisWorkbook or a sheet), with Excel's attributes."""
    header = "\n".join(
        [
            f'Attribute VB_Name = "{name}"',
            f'Attribute VB_Base = "{base}"',
            "Attribute VB_GlobalNameSpace = False",
            "Attribute VB_Creatable = False",
            "Attribute VB_PredeclaredId = True",
            "Attribute VB_Exposed = True",
            "Attribute VB_TemplateDerived = False",
            "Attribute VB_Customizable = True",
        ]
    )
    return VbaModule(name, "document", header + "\n" + source)


def _check_vb_name(name: str, attrs: list[str]) -> None:
    for a in attrs:
        if a.startswith("Attribute VB_Name"):
            declared = a.split("=", 1)[1].strip().strip('"')
            if declared != name:
                raise ValueError(f"module {name!r} declares VB_Name {declared!r}")


# ---------------------------------------------------------------------------
# Compression, [MS-OVBA] 2.4.1
# ---------------------------------------------------------------------------

CHUNK = 4096


def _copy_token_help(difference: int) -> tuple[int, int]:
    """2.4.1.3.19.1 CopyToken Help: (bit count of the offset, maximum length)."""
    bit_count = 4
    while (1 << bit_count) < difference:
        bit_count += 1
    return bit_count, (0xFFFF >> bit_count) + 3


def _compress_chunk(data: bytes) -> bytes:
    """Compress one chunk of at most 4096 bytes (2.4.1.3.7 and 2.4.1.3.9).

    Matching follows 2.4.1.3.19.4: the longest match of at least 3 bytes
    anywhere earlier in the chunk, the nearest one on ties.  Candidates are
    found through a table of 3-byte prefixes instead of a full scan; the
    result is the same encoding.
    """
    out = bytearray()
    positions: dict[bytes, list[int]] = {}
    pos = 0
    end = len(data)

    def remember(upto: int) -> None:
        nonlocal indexed
        while indexed < upto:
            if indexed + 3 <= end:
                positions.setdefault(data[indexed:indexed + 3], []).append(indexed)
            indexed += 1

    indexed = 0
    while pos < end:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            bit_count, max_len = _copy_token_help(pos)
            best_len, best_off = 0, 0
            if pos + 3 <= end:
                for cand in reversed(positions.get(data[pos:pos + 3], ())):
                    length = 3
                    limit = min(max_len, end - pos)
                    while length < limit and data[cand + length] == data[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bit_count)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                remember(pos + best_len)
                pos += best_len
            else:
                out.append(data[pos])
                remember(pos + 1)
                pos += 1
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into a CompressedContainer (2.4.1.1.1, 2.4.1.3.6).

    Each 4096-byte decompressed chunk becomes a CompressedChunk whose 2-byte
    header holds the chunk size minus 3, the signature 0b011 and the
    "compressed" flag (2.4.1.1.5).  A full chunk that would not shrink is
    stored raw (flag 0, 4096 bytes, 2.4.1.3.10); a raw chunk cannot be
    shorter than 4096 bytes, so a short final chunk is always stored
    compressed -- text never comes close to the 4096-byte limit there.
    """
    out = bytearray(b"\x01")  # SignatureByte
    for start in range(0, len(data), CHUNK):
        chunk = data[start:start + CHUNK]
        body = _compress_chunk(chunk)
        if len(body) > CHUNK:
            if len(chunk) < CHUNK:
                raise ValueError("incompressible final chunk cannot be stored raw")
            out += struct.pack("<H", (CHUNK + 2 - 3) | (0b011 << 12))
            out += chunk
        else:
            out += struct.pack("<H", (len(body) + 2 - 3) | (0b011 << 12) | 0x8000)
            out += body
    return bytes(out)


# ---------------------------------------------------------------------------
# Data encryption of the PROJECT stream's CMG, DPB and GC values, 2.4.3
# ---------------------------------------------------------------------------

def _project_key(project_id: str) -> int:
    """2.4.3.1: the sum of the bytes of the ProjectId string, modulo 256."""
    return sum(project_id.encode(ENCODING)) & 0xFF


def encrypt_data(data: bytes, project_id: str, seed: int) -> str:
    """2.4.3.2 Encryption; returns the hex text written in ``PROJECT``.

    ``seed`` is the one random byte the spec asks for; a fixed seed keeps the
    output reproducible (the value only obscures, it protects nothing).  The
    ignored bytes (their count is ``(seed & 6) / 2``) are written as zeros.
    """
    version = 2
    proj_key = _project_key(project_id)
    version_enc = seed ^ version
    proj_key_enc = seed ^ proj_key
    out = bytearray([seed, version_enc, proj_key_enc])
    unencrypted_1 = proj_key
    encrypted_1 = proj_key_enc
    encrypted_2 = version_enc
    plain = bytes((seed & 6) // 2) + struct.pack("<I", len(data)) + data
    for byte in plain:
        byte_enc = byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        out.append(byte_enc)
        encrypted_2 = encrypted_1
        encrypted_1 = byte_enc
        unencrypted_1 = byte
    return out.hex().upper()


def decrypt_data(text: str) -> tuple[int, bytes]:
    """2.4.3.3 Decryption; returns (project key, data)."""
    raw = bytes.fromhex(text)
    seed, version_enc, proj_key_enc = raw[0], raw[1], raw[2]
    if seed ^ version_enc != 2:
        raise ValueError("bad encrypted data version")
    proj_key = seed ^ proj_key_enc
    unencrypted_1 = proj_key
    encrypted_1 = proj_key_enc
    encrypted_2 = version_enc
    plain = bytearray()
    for byte_enc in raw[3:]:
        byte = byte_enc ^ ((encrypted_2 + unencrypted_1) & 0xFF)
        plain.append(byte)
        encrypted_2 = encrypted_1
        encrypted_1 = byte_enc
        unencrypted_1 = byte
    ignored = (seed & 6) // 2
    (length,) = struct.unpack_from("<I", plain, ignored)
    data = bytes(plain[ignored + 4:])
    if len(data) != length:
        raise ValueError("encrypted data length mismatch")
    return proj_key, data


# ---------------------------------------------------------------------------
# Streams
# ---------------------------------------------------------------------------

def _record(rid: int, payload: bytes) -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


def _text_record(rid: int, text: str, unicode_rid: int | None = None) -> bytes:
    out = _record(rid, text.encode(ENCODING))
    if unicode_rid is not None:
        out += _record(unicode_rid, text.encode("utf-16-le"))
    return out


def _dir_stream(
    project_name: str,
    modules: list[VbaModule],
    references: Iterable[tuple[str, str]],
) -> bytes:
    """The decompressed ``dir`` stream, 2.3.4.2."""
    d = bytearray()
    # PROJECTINFORMATION, 2.3.4.2.1
    d += _record(0x0001, struct.pack("<I", 0x00000001))        # SYSKIND: Win32
    d += _record(0x0002, struct.pack("<I", LCID))              # LCID
    d += _record(0x0014, struct.pack("<I", LCID))              # LCIDINVOKE
    d += _record(0x0003, struct.pack("<H", CODEPAGE))          # CODEPAGE
    d += _text_record(0x0004, project_name)                    # NAME
    d += _text_record(0x0005, "", 0x0040)                      # DOCSTRING
    d += _text_record(0x0006, "", 0x003D)                      # HELPFILEPATH 1 and 2
    d += _record(0x0007, struct.pack("<I", 0))                 # HELPCONTEXT
    d += _record(0x0008, struct.pack("<I", 0))                 # LIBFLAGS
    # VERSION: the size field is Reserved (4) though 6 bytes follow.
    d += struct.pack("<HIIH", 0x0009, 0x00000004, 1, 0)
    d += _text_record(0x000C, "", 0x003C)                      # CONSTANTS
    # PROJECTREFERENCES, 2.3.4.2.2: REFERENCENAME + REFERENCEREGISTERED
    for name, libid in references:
        d += _text_record(0x0016, name, 0x003E)
        raw = libid.encode(ENCODING)
        body = struct.pack("<I", len(raw)) + raw + struct.pack("<IH", 0, 0)
        d += _record(0x000D, body)
    # PROJECTMODULES, 2.3.4.2.3
    d += _record(0x000F, struct.pack("<H", len(modules)))
    d += _record(0x0013, struct.pack("<H", 0xFFFF))            # PROJECTCOOKIE
    for m in modules:
        d += _text_record(0x0019, m.name, 0x0047)              # MODULENAME(+UNICODE)
        d += _text_record(0x001A, m.name, 0x0032)              # MODULESTREAMNAME
        d += _text_record(0x001C, "", 0x0048)                  # MODULEDOCSTRING
        d += _record(0x0031, struct.pack("<I", 0))             # MODULEOFFSET: source only
        d += _record(0x001E, struct.pack("<I", 0))             # MODULEHELPCONTEXT
        d += _record(0x002C, struct.pack("<H", 0xFFFF))        # MODULECOOKIE
        d += _record(0x0021 if m.kind == "standard" else 0x0022, b"")  # MODULETYPE
        d += _record(0x002B, b"")                              # terminator
    d += _record(0x0010, b"")                                  # dir terminator
    return bytes(d)


def _project_stream(project_name: str, project_id: str, modules: list[VbaModule]) -> bytes:
    """The ``PROJECT`` stream, 2.3.1 (text, MBCS, CRLF)."""
    cmg = encrypt_data(struct.pack("<I", 0), project_id, seed=0x41)
    dpb = encrypt_data(bytes([0x00]), project_id, seed=0x43)
    gc = encrypt_data(bytes([0xFF]), project_id, seed=0x45)
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        # 2.3.1.15-17: not protected, no password, visible.
        f'CMG="{cmg}"',
        f'DPB="{dpb}"',
        f'GC="{gc}"',
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(ENCODING)


def _projectwm_stream(modules: list[VbaModule]) -> bytes:
    """``PROJECTwm``, 2.3.3: MBCS name, NUL, UTF-16 name, NUL; then 0x0000."""
    out = bytearray()
    for m in modules:
        out += m.name.encode(ENCODING) + b"\x00"
        out += m.name.encode("utf-16-le") + b"\x00\x00"
    out += b"\x00\x00"
    return bytes(out)


def build_vba_project(
    project_name: str,
    modules: Iterable[VbaModule],
    *,
    references: Iterable[tuple[str, str]] = (STDOLE_REFERENCE, OFFICE_REFERENCE),
    project_id: str | None = None,
) -> bytes:
    """Return the bytes of a source-only ``vbaProject.bin``.

    ``project_id`` defaults to a GUID derived from ``project_name``, so the
    same project always gets the same id.
    """
    mods = list(modules)
    names = [m.name.upper() for m in mods]
    if len(set(names)) != len(names):
        raise ValueError("duplicate module names")
    if project_id is None:
        project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"vba-project:{project_name}")).upper() + "}"
    tree = {
        "PROJECT": _project_stream(project_name, project_id, mods),
        "PROJECTwm": _projectwm_stream(mods),
        "VBA": {
            "_VBA_PROJECT": VBA_PROJECT_HEADER,
            "dir": compress(_dir_stream(project_name, mods, references)),
            **{m.name: compress(m.stream_text.encode(ENCODING)) for m in mods},
        },
    }
    return write_compound_file(tree)
