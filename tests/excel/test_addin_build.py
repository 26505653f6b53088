"""The ardesk.xlam build: reproducible, readable by olevba and LibreOffice,
ribbon and VBA in agreement, a well-formed OOXML package."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

REPO = Path(__file__).resolve().parents[2]
import xlwings
from oletools.olevba import VBA_Parser

from ardesk.excel import addin_build
from ardesk.excel.addin_build import (
    CONFIG_SHEET,
    CUSTOMUI_NS,
    MACROS_DIR,
    build_addin,
    ribbon_actions,
    ribbon_button_ids,
    vba_modules,
)
from ardesk.excel.ids import RIBBON_BUTTONS

XLWINGS_DIR = Path(xlwings.__file__).resolve().parent
EXPECTED_MODULES = {
    "ThisWorkbook": "document",
    "Sheet1": "document",
    "ArdeskRibbon": "standard",
    "xlwings": "standard",
    "Dictionary": "class",
    "xlwings_udfs": "standard",
}
OLEVBA_SUFFIX = {"document": ".cls", "class": ".cls", "standard": ".bas"}


def lines(text: str) -> list[str]:
    """Text as lines, without line-break differences or trailing blank lines."""
    out = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while out and out[-1] == "":
        out.pop()
    return out


ATTRIBUTE_LINE = re.compile(r"^Attribute [\w.]+ = ")


def without_attributes(text: str) -> list[str]:
    """Lines without ``Attribute`` lines (module- and procedure-level)."""
    return [ln for ln in lines(text) if not ATTRIBUTE_LINE.match(ln)]


@pytest.fixture(scope="module")
def xlam(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("addin"))


@pytest.fixture(scope="module")
def parts(xlam) -> dict[str, bytes]:
    with zipfile.ZipFile(xlam) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


# --- reproducibility -------------------------------------------------------

def test_two_builds_are_byte_identical(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = build_addin()
    assert first == tmp_path / "ardesk.xlam"
    (tmp_path / "other").mkdir()
    second = build_addin(tmp_path / "other" / "copy.xlam")
    assert second.name == "copy.xlam"
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# --- olevba ----------------------------------------------------------------

@pytest.fixture(scope="module")
def olevba_modules(xlam) -> dict[str, str]:
    parser = VBA_Parser(str(xlam))
    try:
        assert parser.detect_vba_macros()
        return {
            vba_filename: code
            for _filename, _stream, vba_filename, code in parser.extract_macros()
        }
    finally:
        parser.close()


def test_olevba_lists_every_module(olevba_modules):
    expected = {name + OLEVBA_SUFFIX[kind] for name, kind in EXPECTED_MODULES.items()}
    assert set(olevba_modules) == expected


def test_olevba_code_equals_the_sources(olevba_modules):
    for module in vba_modules():
        got = olevba_modules[module.name + OLEVBA_SUFFIX[module.kind]]
        assert lines(got) == lines(module.code), module.name


def test_ribbon_module_is_the_macros_file(olevba_modules):
    source = (MACROS_DIR / "ArdeskRibbon.bas").read_text(encoding="cp1252")
    assert lines(olevba_modules["ArdeskRibbon.bas"]) == lines(source)


def test_xlwings_module_is_the_installed_one(olevba_modules):
    original = lines((XLWINGS_DIR / "xlwings_custom_addin.bas").read_text(encoding="cp1252"))
    got = lines(olevba_modules["xlwings.bas"])
    assert len(got) == len(original)
    differing = [(a, b) for a, b in zip(original, got) if a != b]
    assert differing == [
        (
            'Public Const PROJECT_NAME As String = "myaddin"',
            'Public Const PROJECT_NAME As String = "ardesk"',
        )
    ]
    assert f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"' in got


def test_dictionary_class_is_the_installed_one(olevba_modules):
    original = lines((XLWINGS_DIR / "addin" / "Dictionary.cls").read_text(encoding="cp1252"))
    # The VERSION/BEGIN..END block of an exported .cls is not part of the stream.
    assert original[:4] == ["VERSION 1.0 CLASS", "BEGIN", "  MultiUse = -1  'True", "END"]
    assert lines(olevba_modules["Dictionary.cls"]) == original[4:]


def test_document_modules_have_excel_attributes(olevba_modules):
    wb = lines(olevba_modules["ThisWorkbook.cls"])
    assert wb[0] == 'Attribute VB_Name = "ThisWorkbook"'
    assert 'Attribute VB_Base = "0{00020819-0000-0000-C000-000000000046}"' in wb
    assert "Attribute VB_PredeclaredId = True" in wb
    sheet = lines(olevba_modules["Sheet1.cls"])
    assert 'Attribute VB_Base = "0{00020820-0000-0000-C000-000000000046}"' in sheet


def test_vba_project_is_source_only(parts):
    import io

    import olefile

    ole = olefile.OleFileIO(io.BytesIO(parts["xl/vbaProject.bin"]))
    try:
        streams = {"/".join(p) for p in ole.listdir()}
        assert streams == {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT"} | {
            f"VBA/{name}" for name in EXPECTED_MODULES
        }
        header = ole.openstream("VBA/_VBA_PROJECT").read()
        assert len(header) == 7
        assert header[:4] == bytes.fromhex("CC61FFFF")  # reserved 0x61CC, version 0xFFFF
        project = ole.openstream("PROJECT").read().decode("cp1252")
    finally:
        ole.close()
    assert 'Name="ardesk"' in project
    for name, kind in EXPECTED_MODULES.items():
        line = {
            "document": f"Document={name}/&H00000000",
            "class": f"Class={name}",
            "standard": f"Module={name}",
        }[kind]
        assert line in project.split("\r\n")


# --- LibreOffice -----------------------------------------------------------

# Run by the system Python, which has LibreOffice's UNO bridge (python3-uno).
# LibreOffice's type detection does not recognise the add-in content type
# (it refuses xlwings' own quickstart .xlam as well), so the Excel 2007+
# import filter is named explicitly; it imports the VBA project into a Basic
# library named after the project, one module per VBA module.
LO_DRIVER = r'''
import json, os, subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p

path, profile = sys.argv[1], sys.argv[2]
pipe = "ardesk_addin_test_%d" % os.getpid()
url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe
office = subprocess.Popen(
    ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
     "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
     "--accept=pipe,name=%s;urp;StarOffice.ComponentContext" % pipe],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
desktop = None
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(240):
        try:
            ctx = resolver.resolve(url)
            break
        except Exception:
            time.sleep(0.5)
    else:
        sys.exit("soffice did not accept a connection")
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(
        uno.systemPathToFileUrl(path), "_blank", 0,
        (prop("Hidden", True), prop("ReadOnly", True), prop("MacroExecutionMode", 0),
         prop("FilterName", "Calc MS Excel 2007 XML")))
    if doc is None:
        sys.exit("LibreOffice could not load " + path)
    result = {"filter": None, "sheets": list(doc.Sheets.ElementNames), "libraries": {}}
    for arg in doc.getArgs():
        if arg.Name == "FilterName":
            result["filter"] = arg.Value
    libraries = doc.BasicLibraries
    for name in libraries.ElementNames:
        libraries.loadLibrary(name)
        library = libraries.getByName(name)
        result["libraries"][name] = {m: library.getByName(m) for m in library.ElementNames}
    doc.close(True)
    print(json.dumps(result))
finally:
    if desktop is not None:
        try:
            desktop.terminate()
        except Exception:
            pass
    try:
        office.wait(timeout=60)
    except subprocess.TimeoutExpired:
        office.kill()
'''

SYSTEM_PYTHON = "/usr/bin/python3"


def _libreoffice_available() -> str | None:
    if shutil.which("soffice") is None:
        return "LibreOffice (soffice) is not installed"
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} not found (needed for LibreOffice's UNO bridge)"
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True)
    if probe.returncode != 0:
        return "LibreOffice's Python bridge is missing (apt-get install python3-uno)"
    return None


@pytest.fixture(scope="module")
def libreoffice_view(xlam, tmp_path_factory) -> dict:
    reason = _libreoffice_available()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("lo")
    driver = work / "driver.py"
    driver.write_text(LO_DRIVER)
    done = subprocess.run(
        [SYSTEM_PYTHON, str(driver), str(xlam), str(work / "profile")],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr or done.stdout
    return json.loads(done.stdout.strip().splitlines()[-1])


LO_MODULE_TYPE = {
    "standard": "VBAModule",
    "class": "VBAClassModule",
    "document": "VBADocumentModule",
}


def test_libreoffice_opens_the_addin_and_lists_the_modules(libreoffice_view):
    assert libreoffice_view["filter"] == "Calc MS Excel 2007 XML"
    assert libreoffice_view["sheets"] == [CONFIG_SHEET]
    library = libreoffice_view["libraries"]["ardesk"]
    assert set(library) == set(EXPECTED_MODULES)
    for name, kind in EXPECTED_MODULES.items():
        assert lines(library[name])[0] == f"Rem Attribute VBA_ModuleType={LO_MODULE_TYPE[kind]}"


def test_libreoffice_module_code_equals_the_sources(libreoffice_view):
    library = libreoffice_view["libraries"]["ardesk"]
    for module in vba_modules():
        got = [
            ln for ln in lines(library[module.name])
            if not ln.startswith("Rem Attribute VBA_ModuleType=")
            and ln not in ("Option VBASupport 1", "Option ClassModule")
        ]
        assert got == without_attributes(module.code), module.name


# --- ribbon and callbacks --------------------------------------------------

def _vba_subs() -> dict[str, set[str]]:
    """Public Subs per module that take one control argument (ribbon callbacks)."""
    subs: dict[str, set[str]] = {}
    pattern = re.compile(
        r"^\s*(?:Public\s+)?Sub\s+(\w+)\s*\(\s*(?:ByRef\s+|ByVal\s+)?\w+\s+As\s+IRibbonControl\s*\)",
        re.IGNORECASE | re.MULTILINE,
    )
    for module in vba_modules():
        subs[module.name] = set(pattern.findall(module.code))
    return subs


def test_every_on_action_has_a_matching_sub():
    actions = ribbon_actions()
    assert actions, "the ribbon names no callbacks"
    subs = _vba_subs()
    for action in actions:
        module, _, proc = action.rpartition(".")
        candidates = [module] if module else list(subs)
        assert any(proc in subs.get(m, set()) for m in candidates), action


def test_button_ids_match_ribbon_buttons():
    ids = ribbon_button_ids()
    declared = [b.id for b in RIBBON_BUTTONS]
    assert len(ids) == len(set(ids))
    assert ids == declared


def test_buttons_carry_labels_tips_keytips_icons_and_the_callback():
    root = ET.fromstring(addin_build.ribbon_xml())
    assert root.tag == f"{{{CUSTOMUI_NS}}}customUI"
    tabs = root.findall(f".//{{{CUSTOMUI_NS}}}tab")
    assert [t.get("label") for t in tabs] == ["ardesk"]
    groups = tabs[0].findall(f"{{{CUSTOMUI_NS}}}group")
    assert [g.get("label") for g in groups] == list(dict.fromkeys(b.group for b in RIBBON_BUTTONS))
    in_group = {b.get("id"): g.get("label") for g in groups for b in g}
    buttons = {b.get("id"): b for b in root.iter(f"{{{CUSTOMUI_NS}}}button")}
    for decl in RIBBON_BUTTONS:
        b = buttons[decl.id]
        assert in_group[decl.id] == decl.group
        assert b.get("label") == decl.label
        assert b.get("supertip") == decl.supertip and len(decl.supertip) > len(decl.label)
        assert b.get("keytip") == decl.keytip
        assert b.get("imageMso") == decl.image
        assert b.get("onAction") == "ArdeskRibbon.OnAction"
    keytips = [b.keytip for b in RIBBON_BUTTONS]
    assert len(keytips) == len(set(keytips)), "two buttons share a keytip"


def test_every_desk_step_has_a_button():
    from ardesk import app
    labels = {b.label for b in RIBBON_BUTTONS}
    assert {"Validate", "Bill period", "Post typed receipts", "Import bank file", "Apply review", "Deposit",
            "Reconcile", "Reports", "Month-end", "Close period"} <= labels
    beside_run = {"send", "recover"}        # library steps of their own (delivery, the run log), not app.run's
    assert {b.command for b in RIBBON_BUTTONS} <= set(app.COMMANDS) | beside_run
    assert {c for c in app.COMMANDS} <= {b.command for b in RIBBON_BUTTONS}


def test_callback_passes_the_control_id_and_the_vba_xlwings_version_to_python():
    code = (MACROS_DIR / "ArdeskRibbon.bas").read_text(encoding="cp1252")
    assert re.search(
        r'RunPython "import ardesk\.excel\.buttons; ardesk\.excel\.buttons\.on_ribbon\(" '
        r'& PyStr\(control\.Id\) & ", " _\s*& PyStr\(XLWINGS_VERSION\) & "\)"',
        code,
    )
    assert f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"' in addin_build.xlwings_module_source()


def test_build_refuses_an_xlwings_module_of_another_version(tmp_path, monkeypatch):
    fake = tmp_path / "xlwings"
    (fake / "addin").mkdir(parents=True)
    text = (XLWINGS_DIR / "xlwings_custom_addin.bas").read_text(encoding="cp1252")
    (fake / "xlwings_custom_addin.bas").write_text(
        text.replace(f'"{xlwings.__version__}"', '"0.30.0"'), encoding="cp1252")
    monkeypatch.setattr(addin_build, "_xlwings_dir", lambda: fake)
    with pytest.raises(RuntimeError, match=re.escape(xlwings.__version__)):
        addin_build.xlwings_module_source()


def test_repo_macros_are_the_package_macros():
    repo = REPO / "macros"
    package_files = sorted(p.name for p in MACROS_DIR.iterdir() if p.is_file())
    assert package_files == sorted(addin_build.MACRO_FILES)
    assert sorted(p.name for p in repo.iterdir() if p.is_file()) == sorted(package_files + ["ribbon.xml"])
    for name in package_files:
        assert (repo / name).read_bytes() == (MACROS_DIR / name).read_bytes(), name
    assert (repo / "ribbon.xml").read_bytes() == addin_build.ribbon_xml(), "run --sync-macros"


# --- the package -----------------------------------------------------------

CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def test_xml_parts_are_well_formed(parts):
    assert "xl/vbaProject.bin" in parts
    for name, data in parts.items():
        if name.endswith((".xml", ".rels")):
            ET.fromstring(data)  # raises on malformed XML


def test_content_types_cover_every_part(parts):
    types = ET.fromstring(parts["[Content_Types].xml"])
    defaults = {d.get("Extension").lower(): d.get("ContentType") for d in types.iter(f"{CT_NS}Default")}
    overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(f"{CT_NS}Override")}
    for part in overrides:
        assert part.lstrip("/") in parts, f"override for a missing part {part}"
    for name in parts:
        if name == "[Content_Types].xml":
            continue
        ext = name.rsplit(".", 1)[-1].lower()
        assert "/" + name in overrides or ext in defaults, name
    assert overrides["/xl/workbook.xml"] == "application/vnd.ms-excel.addin.macroEnabled.main+xml"
    assert overrides["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"


def _relationships(parts, rels_name) -> list[ET.Element]:
    return list(ET.fromstring(parts[rels_name]).iter(f"{REL_NS}Relationship"))


def test_relationships_resolve(parts):
    for rels_name in [n for n in parts if n.endswith(".rels")]:
        folder = rels_name.split("_rels/")[0]
        for rel in _relationships(parts, rels_name):
            target = rel.get("Target")
            resolved = target.lstrip("/") if target.startswith("/") else folder + target
            assert resolved in parts, (rels_name, target)
    root = {r.get("Type"): r.get("Target") for r in _relationships(parts, "_rels/.rels")}
    assert root["http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"] == (
        "customUI/customUI14.xml"
    )
    wb = {r.get("Type"): r.get("Target") for r in _relationships(parts, "xl/_rels/workbook.xml.rels")}
    assert wb["http://schemas.microsoft.com/office/2006/relationships/vbaProject"] == "vbaProject.bin"


def test_customui_part_is_the_ribbon_source(parts):
    assert parts["customUI/customUI14.xml"] == addin_build.ribbon_xml()


def test_config_sheet_sets_udf_modules_and_no_blank_keys(parts):
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    wb = ET.fromstring(parts["xl/workbook.xml"])
    assert [s.get("name") for s in wb.iter(f"{ns}sheet")] == [CONFIG_SHEET]
    assert wb.find(f"{ns}workbookPr").get("codeName") == "ThisWorkbook"
    sheet = ET.fromstring(parts["xl/worksheets/sheet1.xml"])
    assert sheet.find(f"{ns}sheetPr").get("codeName") == "Sheet1"
    cells = {c.get("r"): "".join(c.itertext()) for c in sheet.iter(f"{ns}c")}
    # xlwings reads keys from A1 down to the first blank cell, values from column B.
    keys = []
    row = 1
    while cells.get(f"A{row}"):
        keys.append((cells[f"A{row}"], cells.get(f"B{row}", "")))
        row += 1
    assert ("UDF Modules", "ardesk.excel.udfs") in keys
    assert all(value for _key, value in keys)
    assert not any(k.upper().startswith("INTERPRETER") for k, _ in keys)


# --- worksheet functions ---------------------------------------------------

WRAPPER = re.compile(r"^Function (\w+)\(([^)]*)\)\s*$", re.MULTILINE)


def test_one_wrapper_per_udf_with_the_python_signature(olevba_modules):
    """Every ARDESK_* function has a VBA wrapper in the add-in, read back by olevba, that takes the
    Python function's arguments in order (optional ones Optional) and calls it in ardesk.excel.udfs."""
    import inspect
    from ardesk.excel import udfs
    code = olevba_modules["xlwings_udfs.bas"]
    wrappers = {name: args for name, args in WRAPPER.findall(code)}
    assert set(wrappers) == set(udfs.EXPOSED)
    for name in udfs.EXPOSED:
        params = inspect.signature(getattr(udfs, name)).parameters.values()
        expected = [("Optional " if p.default is not inspect.Parameter.empty else "") + p.name for p in params]
        assert [a.strip() for a in wrappers[name].split(",")] == expected, name
        names = ", ".join(p.name for p in params)
        body = code[code.index(f"Function {name}("):]
        body = body[:body.index("End Function")]
        assert (f'{name} = XLPy.CallUDF("ardesk.excel.udfs", "{name}", Array({names}), '
                f'ActiveWorkbook, Application.Caller)') in body
        assert f"{name} = Err.Description" in body


def test_wrappers_call_functions_the_udf_module_defines():
    """The module named in the wrappers is the add-in's UDF Modules setting and defines each function."""
    import importlib
    from ardesk.excel.udf_vba import UDF_MODULE, udf_module_source
    assert (("UDF Modules", UDF_MODULE)) in addin_build.CONFIG
    module = importlib.import_module(UDF_MODULE)
    for name, _args in WRAPPER.findall(udf_module_source()):
        assert callable(getattr(module, name)), name


def test_a_click_with_another_xlwings_says_to_rebuild():
    from ardesk.excel.buttons import version_mismatch
    assert version_mismatch(xlwings.__version__) == ""
    text = version_mismatch("0.30.0")
    assert "0.30.0" in text and xlwings.__version__ in text and "ardesk build-addin" in text
    assert "Nothing was done" in text
