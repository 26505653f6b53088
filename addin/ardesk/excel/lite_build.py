"""``ardesk build-lite``: what an xlwings Lite workbook installs ardesk from.

xlwings Lite runs Python in the browser (Pyodide) and installs a workbook's
``requirements.txt`` with micropip, which takes only packages built for
Pyodide (its lock file lists them) and pure-Python wheels.  ardesk is not on
PyPI, so a company hosts ardesk's wheel itself and names its address in
``requirements.txt``.

:func:`build_lite` writes, into one folder:

``ardesk-<version>-py3-none-any.whl``
    the installed ardesk package as a pure-Python wheel ([PEP 427] layout:
    the package files, ``ardesk-<version>.dist-info/`` with METADATA, WHEEL
    and RECORD).  Its ``Requires-Dist`` are ardesk's core requirements only;
    the extras (``fast``: python-calamine for the file adapter, which Lite
    never uses since it reads the workbook through xlwings) stay out.
``requirements.txt``
    xlwings pinned to the installed version (Lite brings its own build of
    it; the pin keeps the library and the add-in's expectations together),
    the wheel's address (``--url``; default: the wheel's file name, to be
    replaced by where it is hosted), and the core requirements.
``main.py``
    the Lite workbook's ``main.py`` (``ardesk/excel/lite/main.py``): every
    ribbon button as a script, every worksheet function.

The wheel is a pure function of the package files and the metadata: fixed
timestamps and order, so two builds give the same bytes.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import zipfile
from pathlib import Path

from packaging.requirements import Requirement

DIST = "ardesk"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd")


def core_requirements() -> list[Requirement]:
    """ardesk's requirements without extras, as installed."""
    reqs = [Requirement(r) for r in md.requires(DIST) or ()]
    return [r for r in reqs if not (r.marker and "extra" in str(r.marker))]


def _package_files() -> list[tuple[str, Path]]:
    import ardesk
    root = Path(ardesk.__file__).resolve().parent
    files = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in SKIP_SUFFIXES:
            files.append((f"{DIST}/{p.relative_to(root).as_posix()}", p))
    return files


def _metadata(version: str, requirements: list[Requirement]) -> str:
    meta = md.metadata(DIST)
    lines = ["Metadata-Version: 2.1", f"Name: {DIST}", f"Version: {version}",
             f"Summary: {meta['Summary']}", f"License: {meta.get('License') or 'BSD-3-Clause'}",
             f"Requires-Python: {meta.get('Requires-Python') or '>=3.11'}"]
    lines += [f"Requires-Dist: {r}" for r in requirements]
    return "\n".join(lines) + "\n"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel_name(version: str | None = None) -> str:
    return f"{DIST}-{version or md.version(DIST)}-py3-none-any.whl"


def build_wheel(out_dir: Path) -> Path:
    """The pure-Python wheel of the installed ardesk, in ``out_dir``."""
    version = md.version(DIST)
    info = f"{DIST}-{version}.dist-info"
    entries = [(name, path.read_bytes()) for name, path in _package_files()]
    entries.append((f"{info}/METADATA", _metadata(version, core_requirements()).encode()))
    entries.append((f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: ardesk build-lite\n"
                                     b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    entries.append((f"{info}/top_level.txt", f"{DIST}\n".encode()))
    record = "\n".join(_record_line(n, d) for n, d in entries) + f"\n{info}/RECORD,,\n"
    entries.append((f"{info}/RECORD", record.encode()))
    target = Path(out_dir) / wheel_name(version)
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, data)
    tmp.replace(target)
    return target


def requirements_txt(wheel_url: str) -> str:
    import xlwings
    lines = ["# requirements.txt of an ardesk workbook in xlwings Lite (made by `ardesk build-lite`).",
             "# Paste it into the Lite editor's requirements.txt; the line after xlwings is where your company",
             "# hosts the ardesk wheel (an https address the browser may fetch: same site, or CORS allowed).",
             f"xlwings=={xlwings.__version__}",
             wheel_url]
    lines += [str(r) for r in core_requirements() if r.name.lower() != "xlwings"]
    return "\n".join(lines) + "\n"


def build_lite(out_dir: Path | None = None, url: str | None = None) -> tuple[Path, Path, Path]:
    """Write the wheel, ``requirements.txt`` and ``main.py`` into ``out_dir`` (default ``dist-lite``);
    returns the three paths."""
    out = Path(out_dir) if out_dir is not None else Path.cwd() / "dist-lite"
    out.mkdir(parents=True, exist_ok=True)
    wheel = build_wheel(out)
    req = out / "requirements.txt"
    req.write_text(requirements_txt(url or wheel.name), encoding="utf-8")
    main = out / "main.py"
    main.write_bytes((Path(__file__).with_name("lite") / "main.py").read_bytes())
    return wheel, req, main
