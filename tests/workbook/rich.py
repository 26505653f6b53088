"""A clerk's workbook: the demo plus what clerks add and openpyxl cannot carry.

openpyxl adds a chart, an image and a comment; the pivot table (ECMA-376
Part 1, §18.10: a pivot cache over tblInvoices with its records, and a pivot
table summing Total by Currency), the VBA project and the custom ribbon
(customUI14, the Office 2010 extensibility part) are added as parts, the way
Excel stores them.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml."
RIBBON = (Path(__file__).resolve().parents[2] / "macros/ribbon.xml").read_bytes()


def _png() -> bytes:
    from PIL import Image as PILImage
    buf = io.BytesIO()
    PILImage.new("RGB", (40, 20), (31, 78, 120)).save(buf, "PNG")
    return buf.getvalue()


def _cache_field(name: str, values: list) -> tuple[str, list[str]]:
    """A cacheField and each record's entry for it (§18.10.1.3, §18.10.1.77)."""
    present = [v for v in values if v is not None]
    blank = ' containsBlank="1"' if len(present) < len(values) else ""
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        attrs = (f'containsSemiMixedTypes="0" containsString="0" containsNumber="1"{blank} '
                 f'minValue="{min(present)}" maxValue="{max(present)}"')
        return (f'<cacheField name={quoteattr(name)} numFmtId="0"><sharedItems {attrs}/></cacheField>',
                ["<m/>" if v is None else f'<n v="{v}"/>' for v in values])
    if present and all(isinstance(v, (date, datetime)) for v in present):
        iso = [None if v is None else datetime(v.year, v.month, v.day).isoformat() for v in values]
        attrs = (f'containsSemiMixedTypes="0" containsNonDate="0" containsDate="1" containsString="0"{blank} '
                 f'minDate="{min(i for i in iso if i)}" maxDate="{max(i for i in iso if i)}"')
        return (f'<cacheField name={quoteattr(name)} numFmtId="14"><sharedItems {attrs}/></cacheField>',
                ["<m/>" if v is None else f'<d v="{v}"/>' for v in iso])
    items = sorted({str(v) for v in present})
    if blank:
        items_xml = "".join(f"<s v={quoteattr(i)}/>" for i in items) + "<m/>"
    else:
        items_xml = "".join(f"<s v={quoteattr(i)}/>" for i in items)
    n = len(items) + (1 if blank else 0)
    index = {i: k for k, i in enumerate(items)}
    return (f'<cacheField name={quoteattr(name)} numFmtId="0"><sharedItems{blank} count="{n}">{items_xml}'
            f'</sharedItems></cacheField>',
            [f'<x v="{len(items) if v is None else index[str(v)]}"/>' for v in values])


def pivot_parts(header: list[str], rows: list[tuple], sheet_part: str) -> dict[str, bytes]:
    """Cache definition, records and a pivot table of Sum of Total by Currency placed at A3."""
    columns = list(zip(*rows))
    fields, entries = zip(*(_cache_field(h, list(col)) for h, col in zip(header, columns)))
    records = "".join("<r>" + "".join(e[i] for e in entries) + "</r>" for i in range(len(rows)))
    cur, tot = header.index("Currency"), header.index("Total")
    currencies = sorted({r[cur] for r in rows})
    definition = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheDefinition xmlns="{MAIN}" '
                  f'xmlns:r="{REL}" r:id="rId1" refreshedBy="clerk" refreshedDate="46000.5" createdVersion="6" '
                  f'refreshedVersion="6" minRefreshableVersion="3" recordCount="{len(rows)}">'
                  f'<cacheSource type="worksheet"><worksheetSource name="tblInvoices"/></cacheSource>'
                  f'<cacheFields count="{len(fields)}">{"".join(fields)}</cacheFields></pivotCacheDefinition>')
    recs = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheRecords xmlns="{MAIN}" '
            f'xmlns:r="{REL}" count="{len(rows)}">{records}</pivotCacheRecords>')
    pfields = []
    for i, h in enumerate(header):
        if i == cur:
            items = "".join(f'<item x="{k}"/>' for k in range(len(currencies)))
            pfields.append(f'<pivotField axis="axisRow" showAll="0"><items count="{len(currencies) + 1}">{items}'
                           f'<item t="default"/></items></pivotField>')
        elif i == tot:
            pfields.append('<pivotField dataField="1" showAll="0"/>')
        else:
            pfields.append('<pivotField showAll="0"/>')
    row_items = "".join("<i><x/></i>" if k == 0 else f'<i><x v="{k}"/></i>' for k in range(len(currencies)))
    last = 3 + len(currencies) + 1
    table = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotTableDefinition xmlns="{MAIN}" '
             f'name="PivotTable1" cacheId="1" applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" '
             f'applyPatternFormats="0" applyAlignmentFormats="0" applyWidthHeightFormats="1" dataCaption="Values" '
             f'updatedVersion="6" minRefreshableVersion="3" createdVersion="6" useAutoFormatting="1" indent="0" '
             f'outline="1" outlineData="1"><location ref="A3:B{last}" firstHeaderRow="1" firstDataRow="1" '
             f'firstDataCol="1"/><pivotFields count="{len(header)}">{"".join(pfields)}</pivotFields>'
             f'<rowFields count="1"><field x="{cur}"/></rowFields><rowItems count="{len(currencies) + 1}">'
             f'{row_items}<i t="grand"><x/></i></rowItems><colItems count="1"><i/></colItems>'
             f'<dataFields count="1"><dataField name="Sum of Total" fld="{tot}" baseField="0" baseItem="0"/>'
             f'</dataFields><pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" showColHeaders="1" '
             f'showRowStripes="0" showColStripes="0" showLastColumn="1"/></pivotTableDefinition>')
    rel = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    folder, name = sheet_part.rsplit("/", 1)
    return {
        "xl/pivotCache/pivotCacheDefinition1.xml": definition.encode(),
        "xl/pivotCache/pivotCacheRecords1.xml": recs.encode(),
        "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels": (
            rel + f'<Relationship Id="rId1" Type="{REL}/pivotCacheRecords" Target="pivotCacheRecords1.xml"/>'
            '</Relationships>').encode(),
        "xl/pivotTables/pivotTable1.xml": table.encode(),
        "xl/pivotTables/_rels/pivotTable1.xml.rels": (
            rel + f'<Relationship Id="rId1" Type="{REL}/pivotCacheDefinition" '
            'Target="../pivotCache/pivotCacheDefinition1.xml"/></Relationships>').encode(),
        f"{folder}/_rels/{name}.rels": (
            rel + f'<Relationship Id="rId1" Type="{REL}/pivotTable" Target="../pivotTables/pivotTable1.xml"/>'
            '</Relationships>').encode(),
    }


def make_rich(demo: Path, vba: bytes) -> Path:
    """Write NAME.xlsm next to the demo workbook ``demo``, holding everything above."""
    wb = openpyxl.load_workbook(demo)
    aging = wb["Aging"]
    chart = BarChart()
    chart.title = "Open items"
    chart.add_data(Reference(aging, min_col=4, max_col=8, min_row=4, max_row=10), titles_from_data=True)
    chart.set_categories(Reference(aging, min_col=1, min_row=5, max_row=10))
    aging.add_chart(chart, "K4")
    img = Image(io.BytesIO(_png()))
    wb["Summary"].add_image(img, "H2")
    wb["Customers"]["A2"].comment = Comment("Ring before the 10th: accounts payable closes then.", "clerk")
    inv = wb["Invoices"]
    header = [c.value for c in inv[1]]
    rows = [tuple(c.value for c in r) for r in inv.iter_rows(min_row=2)]
    cur, tot = header.index("Currency"), header.index("Total")
    sums: dict[str, float] = {}
    for r in rows:
        sums[r[cur]] = sums.get(r[cur], 0) + float(r[tot])
    pivot = wb.create_sheet("Pivot")
    pivot["A3"], pivot["B3"] = "Currency", "Sum of Total"
    for k, c in enumerate(sorted(sums), start=4):
        pivot.cell(row=k, column=1, value=c)
        pivot.cell(row=k, column=2, value=round(sums[c], 2))
    pivot.cell(row=4 + len(sums), column=1, value="Grand Total")
    pivot.cell(row=4 + len(sums), column=2, value=round(sum(sums.values()), 2))
    plain = demo.with_name(demo.stem + "-rich.xlsx")
    wb.save(plain)

    with zipfile.ZipFile(plain) as z:
        wbxml = z.read("xl/workbook.xml").decode()
        wbrels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(r'<sheet [^>]*name="Pivot"[^>]*r:id="(rId\d+)"', wbxml).group(1)
    sheet_part = re.search(rf'Target="/?(xl/worksheets/sheet\d+\.xml)" Id="{rid}"', wbrels).group(1)
    extra = pivot_parts(header, rows, sheet_part)
    extra["xl/vbaProject.bin"] = vba
    extra["customUI/customUI14.xml"] = RIBBON
    out = demo.with_name(demo.stem + "-rich.xlsm")
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(CT.encode() + b"sheet.main+xml", b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", (
                    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                    f'<Override PartName="/xl/pivotCache/pivotCacheDefinition1.xml" ContentType="{CT}pivotCacheDefinition+xml"/>'
                    f'<Override PartName="/xl/pivotCache/pivotCacheRecords1.xml" ContentType="{CT}pivotCacheRecords+xml"/>'
                    f'<Override PartName="/xl/pivotTables/pivotTable1.xml" ContentType="{CT}pivotTable+xml"/>'
                    '</Types>').encode())
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    '<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
                    'Target="vbaProject.bin"/>'
                    f'<Relationship Id="rIdPC1" Type="{REL}/pivotCacheDefinition" '
                    'Target="pivotCache/pivotCacheDefinition1.xml"/></Relationships>').encode())
            elif item.filename == "_rels/.rels":
                data = data.replace(b"</Relationships>", (
                    '<Relationship Id="rIdUI" Type="http://schemas.microsoft.com/office/2007/relationships/ui/'
                    'extensibility" Target="customUI/customUI14.xml"/></Relationships>').encode())
            elif item.filename == "xl/workbook.xml":
                text = data.decode()
                pc = ('<pivotCaches><pivotCache xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
                      ' cacheId="1" r:id="rIdPC1"/></pivotCaches>')     # openpyxl with lxml binds r: per sheet only
                text = re.sub(r"(<calcPr[^>]*/>)", lambda m: m.group(1) + pc, text, count=1)
                data = text.encode()
            if item.filename in extra:
                data = extra.pop(item.filename)
            dst.writestr(item, data)
        for name, data in extra.items():
            dst.writestr(name, data)
    plain.unlink()
    return out
