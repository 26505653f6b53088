"""The pieces under the add-in's VBA project: [MS-OVBA] compression and data
encryption, and the [MS-CFB] writer, checked against independent readers
(oletools, olefile) and against values Office wrote."""
from __future__ import annotations

import io
import random
import re
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
import olefile
import xlwings
from oletools.olevba import decompress_stream

from ardesk.excel.cfb_writer import write_compound_file
from ardesk.excel.vba_project import (
    class_module,
    compress,
    decrypt_data,
    encrypt_data,
    standard_module,
)

XLWINGS_DIR = Path(xlwings.__file__).resolve().parent


def _samples() -> list[bytes]:
    rng = random.Random(20240131)
    noise = bytes(rng.randrange(256) for _ in range(9000))
    text = (XLWINGS_DIR / "xlwings_custom_addin.bas").read_bytes()
    return [
        b"",
        b"A",
        b"abc",
        b"Attribute VB_Name = \"x\"\r\n" * 400,
        b" " * 10000,             # long runs: maximal copy tokens
        noise[:4096],             # incompressible full chunk: stored raw
        noise,                    # raw chunks followed by a short compressed one
        text,                     # real source, many chunks
        text[:4096],
        text[:4097],
        bytes(range(256)) * 33,
    ]


@pytest.mark.parametrize("data", _samples(), ids=lambda d: f"{len(d)}B")
def test_compress_round_trips_through_olevba(data):
    packed = compress(data)
    assert packed[0] == 0x01
    assert bytes(decompress_stream(bytearray(packed))) == data


def test_compression_shrinks_source_text():
    text = (XLWINGS_DIR / "xlwings_custom_addin.bas").read_bytes()
    assert len(compress(text)) < len(text) * 0.6


def test_incompressible_chunk_is_stored_raw():
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    packed = compress(noise)
    header = int.from_bytes(packed[1:3], "little")
    assert header & 0x8000 == 0          # CompressedChunkFlag 0: raw
    assert (header >> 12) & 0b111 == 0b011
    assert packed[3:] == noise


def _office_project_values() -> dict[str, str]:
    """ID, CMG, DPB and GC of the PROJECT stream in a project Office saved."""
    with zipfile.ZipFile(XLWINGS_DIR / "quickstart_addin_ribbon.xlam") as zf:
        vba = zf.read("xl/vbaProject.bin")
    ole = olefile.OleFileIO(io.BytesIO(vba))
    try:
        text = ole.openstream("PROJECT").read().decode("cp1252")
    finally:
        ole.close()
    return dict(re.findall(r'^(ID|CMG|DPB|GC)="([^"]*)"', text, re.MULTILINE))


def test_decryption_reads_what_office_wrote():
    values = _office_project_values()
    project_key = sum(values["ID"].encode("cp1252")) & 0xFF
    assert decrypt_data(values["CMG"]) == (project_key, bytes(4))   # not protected
    assert decrypt_data(values["DPB"]) == (project_key, b"\x00")    # no password
    assert decrypt_data(values["GC"]) == (project_key, b"\xff")     # visible


@pytest.mark.parametrize("seed", range(0, 256, 7))
def test_encryption_round_trips(seed):
    project_id = "{4E0C5B6A-0000-4000-8000-000000000001}"
    text = encrypt_data(b"\x00\x01\xfe", project_id, seed)
    key = sum(project_id.encode()) & 0xFF
    assert decrypt_data(text) == (key, b"\x00\x01\xfe")
    assert len(text) == 2 * (3 + (seed & 6) // 2 + 4 + 3)


def test_compound_file_reads_back_with_olefile():
    rng = random.Random(3)
    tree = {
        "PROJECT": b"ID=\"x\"\r\n" * 20,
        "PROJECTwm": b"\x00\x00",
        "VBA": {
            "_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
            "dir": bytes(rng.randrange(256) for _ in range(1500)),
            **{f"Module{i}": bytes(rng.randrange(256) for _ in range(i * 977)) for i in range(1, 14)},
        },
        "Large": bytes(rng.randrange(256) for _ in range(70000)),
    }
    data = write_compound_file(tree)
    assert len(data) % 512 == 0
    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT)
    try:
        listed = {"/".join(p) for p in ole.listdir(streams=True, storages=False)}
        expected = {"PROJECT", "PROJECTwm", "Large"} | {f"VBA/{k}" for k in tree["VBA"]}
        assert listed == expected
        for path in expected:
            node = tree
            for part in path.split("/"):
                node = node[part]
            assert ole.openstream(path).read() == node, path
        assert ole.get_type("VBA") == olefile.STGTY_STORAGE
    finally:
        ole.close()


def test_compound_file_rejects_bad_names():
    with pytest.raises(ValueError):
        write_compound_file({"a/b": b""})
    with pytest.raises(ValueError):
        write_compound_file({"x" * 32: b""})
    with pytest.raises(ValueError):
        write_compound_file({"Name": b"", "NAME": b""})


def test_module_name_must_match_vb_name():
    with pytest.raises(ValueError, match="VB_Name"):
        standard_module("Ribbon", 'Attribute VB_Name = "Other"\r\nSub X()\r\nEnd Sub\r\n')


def test_class_module_gets_required_attributes():
    m = class_module("Thing", "VERSION 1.0 CLASS\nBEGIN\n  MultiUse = -1  'True\nEND\nPublic X As Long\n")
    assert m.code.splitlines()[:5] == [
        'Attribute VB_Name = "Thing"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = False",
        "Attribute VB_Exposed = False",
    ]
    assert m.code.splitlines()[5] == "Public X As Long"
