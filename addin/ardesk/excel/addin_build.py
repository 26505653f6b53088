"""Build the ardesk Excel add-in (``ardesk.xlam``) from source, on any OS.

The add-in is an Office Open XML macro-enabled add-in package:

``[Content_Types].xml``, ``_rels/.rels``
    the package; the root relationships point at the workbook, the document
    properties and the ribbon (``customUI/customUI14.xml``, relationship type
    ``.../office/2007/relationships/ui/extensibility`` for the 2009/07 schema).
``xl/workbook.xml`` and its parts
    one sheet, ``ardesk.conf`` (Excel never shows an add-in's sheets): the
    add-in's xlwings settings (see below).
``xl/vbaProject.bin``
    the VBA project, written source-only by :mod:`ardesk.excel.vba_project`
    (Office compiles it the first time the add-in is opened).
``docProps/core.xml``
    the title and description Excel shows in its Add-ins dialog.

VBA modules:

``ThisWorkbook``, ``Sheet1``
    the document modules of the workbook and the config sheet (no code).
``ArdeskRibbon``
    the ribbon callback: every button calls ``ArdeskRibbon.OnAction``, which
    runs ``ardesk.excel.buttons.on_ribbon('<control id>')`` through RunPython.
``xlwings``
    xlwings' module for custom add-ins (``xlwings_custom_addin.bas`` of the
    installed xlwings package, with ``PROJECT_NAME`` set to ``"ardesk"``, as
    ``xlwings quickstart --addin`` users do by hand), so the add-in works
    without the xlwings add-in installed.
``Dictionary``
    the class the xlwings module uses on the Mac instead of
    ``Scripting.Dictionary`` (``xlwings/addin/Dictionary.cls``).

Settings.  With ``PROJECT_NAME = "ardesk"`` the xlwings module looks up each
key in a sheet ``ardesk.conf`` of the active workbook, then in the add-in's
own ``ardesk.conf`` sheet, then in ``ardesk.conf`` beside the active
workbook, then in the user file (``%USERPROFILE%\\.ardesk\\ardesk.conf``;
on the Mac ``ardesk.conf`` in Excel's container folder), then uses xlwings'
default.  A key present with a blank value stops that search, so the
add-in's sheet lists only keys with a value: ``UDF Modules`` =
``ardesk.excel.udfs``.  The interpreter is left out on purpose: whatever the
conf files set applies, else xlwings runs ``python`` from PATH.

Sources.  The hand-written VBA callback is package data,
``ardesk/excel/macros/ArdeskRibbon.bas``, so an installed ardesk can build its
add-in; the ribbon XML is made from :data:`~ardesk.excel.ids.RIBBON_BUTTONS`
(:func:`ribbon_xml`).  ``macros/`` at the repository root holds both for people
who open them from a checkout (import the ``.bas`` into the VBE, paste the XML
into a ribbon editor); ``python -m ardesk.excel.addin_build --sync-macros
REPO`` rewrites that copy, and a test checks that it is current.

Reproducibility.  Zip entries have a fixed order, the 1980-01-01 timestamp
and fixed attributes; no part contains a date; the VBA project is a pure
function of its sources.  Two builds from the same sources and the same
xlwings version give byte-identical files.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from .ids import RIBBON_BUTTONS
from .udf_vba import MODULE_NAME as UDF_VBA_MODULE, udf_module_source
from .vba_project import (
    WORKBOOK_BASE,
    WORKSHEET_BASE,
    VbaModule,
    build_vba_project,
    class_module,
    document_module,
    standard_module,
)

__all__ = [
    "build_addin",
    "addin_parts",
    "vba_modules",
    "ribbon_xml",
    "ribbon_button_ids",
    "ribbon_actions",
    "xlwings_module_source",
    "sync_macros",
    "MACROS_DIR",
    "ADDIN_NAME",
    "CONFIG_SHEET",
    "CONFIG",
]

ADDIN_NAME = "ardesk"
MACROS_DIR = Path(__file__).resolve().parent / "macros"
MACRO_FILES = ("ArdeskRibbon.bas",)
CONFIG_SHEET = f"{ADDIN_NAME}.conf"
CONFIG: tuple[tuple[str, str], ...] = (("UDF Modules", "ardesk.excel.udfs"),)
CONFIG_NOTES = (
    "Settings of the ardesk add-in, read by its xlwings module: an ardesk.conf sheet "
    "in the active workbook, then this sheet, then ardesk.conf beside the active "
    "workbook, then the user's ardesk.conf file, then xlwings' defaults.",
    "Keys in column A, values in column B, no blank rows. A key with a blank value "
    "hides the conf files, so leave a key out rather than blank.",
    "Interpreter_Win / Interpreter_Mac are not set here: the conf files decide, "
    "else xlwings runs python from PATH.",
    "Other keys as in xlwings.conf: PYTHONPATH, Conda Path, Conda Env, Show Console, "
    "Debug UDFs, Use UDF Server.",
)

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOMUI_PART = "customUI/customUI14.xml"
XLWINGS_PROJECT_NAME_LINE = 'Public Const PROJECT_NAME As String = "myaddin"'

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
REL_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
REL_APP = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties"
REL_CUSTOMUI14 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
REL_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
REL_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"

CT_ADDIN_MAIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_VBA = "application/vnd.ms-office.vbaProject"
CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
CT_APP = "application/vnd.openxmlformats-officedocument.extended-properties+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"

XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------

def _xlwings_dir() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent


def xlwings_module_source() -> str:
    """xlwings' custom add-in module with ``PROJECT_NAME`` set to ``"ardesk"``.

    Its ``XLWINGS_VERSION`` (and the DLL it names) must be the installed
    package's version: the ribbon passes it to every click, which refuses to
    run against another xlwings (:func:`ardesk.excel.buttons.version_mismatch`).
    """
    import xlwings
    text = (_xlwings_dir() / "xlwings_custom_addin.bas").read_text(encoding="cp1252")
    declared = f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"'
    if declared not in text:
        raise RuntimeError(f"xlwings_custom_addin.bas of the installed xlwings does not declare "
                           f"XLWINGS_VERSION {xlwings.__version__!r}: reinstall xlwings "
                           f"(`python -m pip install --force-reinstall xlwings=={xlwings.__version__}`)")
    if text.count(XLWINGS_PROJECT_NAME_LINE) != 1:
        raise RuntimeError(
            "xlwings_custom_addin.bas no longer declares PROJECT_NAME as expected; "
            "check the installed xlwings version"
        )
    return text.replace(
        XLWINGS_PROJECT_NAME_LINE,
        f'Public Const PROJECT_NAME As String = "{ADDIN_NAME}"',
    )


def ribbon_xml() -> bytes:
    """The ribbon (customUI14) made from :data:`~ardesk.excel.ids.RIBBON_BUTTONS`.

    One ``ardesk`` tab; a group per ``Button.group`` in the order groups first
    appear; every button large, with its label, screentip (the label),
    supertip, keytip, built-in icon and the one callback
    ``ArdeskRibbon.OnAction``, which hands the button id to Python.
    """
    groups: dict[str, list] = {}
    for b in RIBBON_BUTTONS:
        groups.setdefault(b.group, []).append(b)
    out = [XML_DECL.rstrip("\n"),
           "<!-- The ardesk ribbon tab (Office 2010+ schema, part customUI/customUI14.xml), made by",
           "     ardesk.excel.addin_build.ribbon_xml from RIBBON_BUTTONS in ardesk/excel/ids.py. -->",
           f'<customUI xmlns="{CUSTOMUI_NS}">', "  <ribbon>", "    <tabs>",
           '      <tab id="ardeskTab" label="ardesk" keytip="AD">']
    for group, buttons in groups.items():
        gid = "ardeskGroup" + "".join(w.capitalize() for w in group.replace("-", " ").split())
        out.append(f'        <group id="{gid}" label={quoteattr(group)}>')
        for b in buttons:
            out.append(f'          <button id="{b.id}" label={quoteattr(b.label)} size="large" '
                       f'imageMso="{b.image}" keytip="{b.keytip}"')
            out.append(f'                  screentip={quoteattr(b.label)} supertip={quoteattr(b.supertip)}')
            out.append('                  onAction="ArdeskRibbon.OnAction"/>')
        out.append("        </group>")
    out += ["      </tab>", "    </tabs>", "  </ribbon>", "</customUI>", ""]
    return "\n".join(out).encode("utf-8")


def _ribbon_buttons(xml: bytes) -> list[ET.Element]:
    root = ET.fromstring(xml)
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise ValueError(f"ribbon.xml is not a customUI14 document: {root.tag}")
    return root.findall(f".//{{{CUSTOMUI_NS}}}button")


def ribbon_button_ids(xml: bytes | None = None) -> list[str]:
    return [b.get("id", "") for b in _ribbon_buttons(ribbon_xml() if xml is None else xml)]


def ribbon_actions(xml: bytes | None = None) -> set[str]:
    """Every callback the ribbon names (``onAction``, ``onLoad``, ``get*``)."""
    root = ET.fromstring(ribbon_xml() if xml is None else xml)
    return {
        value
        for el in root.iter()
        for key, value in el.attrib.items()
        if key.startswith(("on", "get"))
    }


def vba_modules() -> list[VbaModule]:
    """The add-in's modules, in project order."""
    ribbon_bas = (MACROS_DIR / "ArdeskRibbon.bas").read_text(encoding="cp1252")
    dictionary_cls = (_xlwings_dir() / "addin" / "Dictionary.cls").read_text(encoding="cp1252")
    return [
        document_module("ThisWorkbook", WORKBOOK_BASE),
        document_module("Sheet1", WORKSHEET_BASE),
        standard_module("ArdeskRibbon", ribbon_bas),
        standard_module("xlwings", xlwings_module_source()),
        class_module("Dictionary", dictionary_cls),
        standard_module(UDF_VBA_MODULE, udf_module_source()),
    ]


# ---------------------------------------------------------------------------
# Package parts
# ---------------------------------------------------------------------------

def _rels(rels: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f'<Relationship Id="{rid}" Type="{rtype}" Target="{target}"/>'
        for rid, rtype, target in rels
    )
    return (XML_DECL + f'<Relationships xmlns="{NS_PKG_REL}">{body}</Relationships>').encode()


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def _config_sheet() -> bytes:
    n_rows = max(len(CONFIG), len(CONFIG_NOTES))
    rows = []
    for i in range(n_rows):
        r = i + 1
        cells = ""
        if i < len(CONFIG):
            key, value = CONFIG[i]
            cells += _cell(f"A{r}", key) + _cell(f"B{r}", value)
        if i < len(CONFIG_NOTES):
            cells += _cell(f"D{r}", CONFIG_NOTES[i])
        rows.append(f'<row r="{r}">{cells}</row>')
    return (
        XML_DECL
        + f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}">'
        + '<sheetPr codeName="Sheet1"/>'
        + f'<dimension ref="A1:D{n_rows}"/>'
        + '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        + '<sheetFormatPr defaultRowHeight="15"/>'
        + '<cols><col min="1" max="1" width="18" customWidth="1"/>'
        + '<col min="2" max="2" width="24" customWidth="1"/></cols>'
        + "<sheetData>" + "".join(rows) + "</sheetData>"
        + "</worksheet>"
    ).encode()


def _workbook() -> bytes:
    return (
        XML_DECL
        + f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_R}">'
        + '<workbookPr codeName="ThisWorkbook"/>'
        + "<bookViews><workbookView/></bookViews>"
        + f'<sheets><sheet name="{escape(CONFIG_SHEET)}" sheetId="1" r:id="rId1"/></sheets>'
        + "</workbook>"
    ).encode()


def _styles() -> bytes:
    return (
        XML_DECL
        + f'<styleSheet xmlns="{NS_MAIN}">'
        + '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
        + '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        + '<fill><patternFill patternType="gray125"/></fill></fills>'
        + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        + '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        + "</styleSheet>"
    ).encode()


def _core_props() -> bytes:
    return (
        XML_DECL
        + '<cp:coreProperties '
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:title>ardesk</dc:title>"
        "<dc:description>Billing and accounts receivable: the month-end steps on the "
        "ardesk ribbon tab.</dc:description>"
        "</cp:coreProperties>"
    ).encode()


def _app_props() -> bytes:
    return (
        XML_DECL
        + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        + "<Application>Microsoft Excel</Application>"
        + "</Properties>"
    ).encode()


def _content_types(parts: dict[str, bytes]) -> bytes:
    overrides = {
        "/xl/workbook.xml": CT_ADDIN_MAIN,
        "/xl/worksheets/sheet1.xml": CT_WORKSHEET,
        "/xl/styles.xml": CT_STYLES,
        "/xl/vbaProject.bin": CT_VBA,
        "/docProps/core.xml": CT_CORE,
        "/docProps/app.xml": CT_APP,
    }
    missing = [
        name for name in parts
        if "/" + name not in overrides and not name.endswith((".rels", ".xml"))
    ]
    if missing:
        raise AssertionError(f"no content type for {missing}")
    body = (
        f'<Default Extension="rels" ContentType="{CT_RELS}"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(
            f'<Override PartName="{name}" ContentType="{ct}"/>' for name, ct in overrides.items()
        )
    )
    return (
        XML_DECL
        + f'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">{body}</Types>'
    ).encode()


def addin_parts() -> dict[str, bytes]:
    """Every part of the package, by zip entry name, in writing order."""
    ribbon = ribbon_xml()
    parts: dict[str, bytes] = {
        "_rels/.rels": _rels(
            [
                ("rId1", REL_OFFICE_DOC, "xl/workbook.xml"),
                ("rId2", REL_CORE, "docProps/core.xml"),
                ("rId3", REL_APP, "docProps/app.xml"),
                ("rId4", REL_CUSTOMUI14, CUSTOMUI_PART),
            ]
        ),
        "docProps/core.xml": _core_props(),
        "docProps/app.xml": _app_props(),
        "xl/workbook.xml": _workbook(),
        "xl/_rels/workbook.xml.rels": _rels(
            [
                ("rId1", REL_WORKSHEET, "worksheets/sheet1.xml"),
                ("rId2", REL_STYLES, "styles.xml"),
                ("rId3", REL_VBA, "vbaProject.bin"),
            ]
        ),
        "xl/worksheets/sheet1.xml": _config_sheet(),
        "xl/styles.xml": _styles(),
        "xl/vbaProject.bin": build_vba_project(ADDIN_NAME, vba_modules()),
        CUSTOMUI_PART: ribbon,
    }
    return {"[Content_Types].xml": _content_types(parts), **parts}


def build_addin(out: Path | None = None) -> Path:
    """Write ``ardesk.xlam`` and return its path.

    ``out`` may be a file path or an existing directory; by default the
    add-in is written to the current directory.
    """
    if out is None:
        target = Path.cwd() / f"{ADDIN_NAME}.xlam"
    else:
        target = Path(out)
        if target.is_dir():
            target = target / f"{ADDIN_NAME}.xlam"
    parts = addin_parts()
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            zf.writestr(info, data, compresslevel=9)
    tmp.replace(target)
    return target


def sync_macros(repo_root: Path) -> list[Path]:
    """Copy the package's macro sources to ``<repo_root>/macros``."""
    dest = Path(repo_root) / "macros"
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in MACRO_FILES:
        shutil.copyfile(MACROS_DIR / name, dest / name)
        written.append(dest / name)
    (dest / "ribbon.xml").write_bytes(ribbon_xml())
    written.append(dest / "ribbon.xml")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ardesk.excel.addin_build", description="Build ardesk.xlam."
    )
    parser.add_argument("-o", "--out", type=Path, help="output file or directory")
    parser.add_argument(
        "--sync-macros", type=Path, metavar="REPO",
        help="copy the macro sources to REPO/macros instead of building",
    )
    args = parser.parse_args(argv)
    if args.sync_macros:
        for path in sync_macros(args.sync_macros):
            print(path)
        return 0
    print(build_addin(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
