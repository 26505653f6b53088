"""The document templates travel in the wheel, and an installed copy renders with them."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "workbooks" / "templates"

RENDER = r"""
import json, sys
from datetime import datetime
import ardesk
from ardesk import app
from ardesk.io.memory import MemoryWorkbook
from ardesk.documents.issue import Issuer, lines_by_invoice
from ardesk.documents.settings import SHIPPED_TEMPLATES, read_document_settings
wb = MemoryWorkbook.with_rows(
    {"tblCustomers": [("C1", "Harbor Bakery", "ap@harbor.example", "1 Main Street", "10115", "DE", 30, 0.19, "EUR",
                       None, "active", None, "Berlin", "en_GB", None, "factur-x", None)],
     "tblCharges": [("CH1", "C1", "HOST", "Hosting", 1, 35.5, "monthly", datetime(2026, 1, 1).date(), None)]},
    {"CompanyName": "Example Billing GmbH", "CompanyCountry": "DE", "CompanyIBAN": "DE89370400440532013000",
     "CompanyVATID": "DE811907980", "CompanyAddress": "Ledgerweg 1", "CompanyPostalCode": "10115",
     "CompanyCity": "Berlin"})
assert app.run(wb, "bill", period="2026-10", now=datetime(2026, 10, 1, 8)).ok
books = app.load(wb)
ds, problems = read_document_settings(wb.read_settings())
issuer = Issuer(ds, books.ledger, books.customers, lines=lines_by_invoice(books.tables["tblInvoiceLines"]))
doc, probs = issuer.invoice(books.ledger.invoices[0])
print(json.dumps({"package": ardesk.__file__, "templates": str(SHIPPED_TEMPLATES), "problems": [str(p) for p in
                  problems + probs], "pdf": len(doc.pdf) if doc else 0, "xml": len(doc.xml) if doc else 0}))
"""


def test_the_wheel_carries_the_templates_and_an_installed_copy_renders_with_them(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO / "addin", src / "addin", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(TEMPLATES, src / "workbooks" / "templates")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(REPO / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("ardesk-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        packed = {n.rsplit("/", 1)[1]: z.read(n) for n in z.namelist()
                  if n.startswith("ardesk/documents/templates/") and not n.endswith("/")}
    assert packed == {f.name: f.read_bytes() for f in TEMPLATES.iterdir() if f.is_file()}

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    # -S: no site-packages processing, so the editable checkout is not importable; the dependencies come
    # from this environment's site-packages, ardesk only from the installed wheel
    deps = sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]
    out = subprocess.run([sys.executable, "-S", "-c", RENDER], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": ":".join([str(site), *deps]), "HOME": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["package"].startswith(str(site)) and got["templates"] == str(site / "ardesk" / "documents" / "templates")
    assert got["problems"] == [] and got["pdf"] > 10_000 and got["xml"] > 1_000
