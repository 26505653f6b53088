"""What a save does to the file system: mode and owner kept, read-only refused, leftovers removed,
demo never overwrites a clerk's workbook, deposit slips can be printed again."""
from __future__ import annotations

import zipfile

import os
import stat

import attacks
from ardesk.io.fileadapter import TEMP_PREFIX


def test_a_save_keeps_the_workbook_s_mode(books, bank_file):
    os.chmod(books, 0o664)
    assert attacks.cli("receive", books, "--bank", bank_file).returncode == 0
    assert stat.S_IMODE(books.stat().st_mode) == 0o664


def test_a_new_workbook_is_not_private(tmp_path):
    out = attacks.cli("init", tmp_path / "new.xlsx")
    assert out.returncode == 0
    assert stat.S_IMODE((tmp_path / "new.xlsx").stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def test_a_read_only_workbook_is_refused_with_exit_2(books, bank_file):
    before = books.read_bytes()
    os.chmod(books, 0o444)
    out = attacks.cli("receive", books, "--bank", bank_file)
    assert out.returncode == 2 and "read-only" in out.stderr and attacks.no_traceback(out)
    assert books.read_bytes() == before


def test_temp_files_of_a_killed_save_are_removed_by_the_next_run(books, bank_file):
    stale = books.with_name(f"{TEMP_PREFIX}{books.name}.abc123.xlsx")
    stale.write_bytes(b"half a workbook")
    other = books.with_name(".someone-elses.tmp")
    other.write_bytes(b"not ours")
    assert attacks.cli("receive", books, "--bank", bank_file).returncode == 0
    assert not stale.exists() and other.exists()


def test_demo_refuses_to_overwrite_a_workbook_it_did_not_make(books, bank_file, tmp_path):
    assert attacks.cli("receive", books, "--bank", bank_file).returncode == 0   # a clerk's run
    before = books.read_bytes()
    out = attacks.cli("demo", books, "--customers", "5")
    assert out.returncode == 2 and "never overwrites" in out.stderr
    assert books.read_bytes() == before
    plain = tmp_path / "plain.xlsx"
    assert attacks.cli("init", plain).returncode == 0
    assert attacks.cli("demo", plain, "--customers", "5").returncode == 2
    fresh = tmp_path / "demo.xlsx"
    assert attacks.cli("demo", fresh, "--customers", "5").returncode == 0
    assert attacks.cli("demo", fresh, "--customers", "5").returncode == 0      # its own demo: rebuilt
    assert attacks.cli("verify", fresh).returncode == 0


def test_a_half_written_workbook_is_exit_2_with_a_message(books):
    books.write_bytes(books.read_bytes()[:5000])
    out = attacks.cli("validate", books)
    assert out.returncode == 2 and "half" in out.stderr and attacks.no_traceback(out)


def test_deposit_slip_reprint_and_retry_of_a_failed_pdf(books):
    out = attacks.cli("deposit", books, "--date", "2026-10-31")
    assert out.returncode == 0, out.stderr
    pdfs = sorted(books.parent.glob("books-DEP-*.pdf"))
    assert pdfs
    pdfs[0].unlink()                                        # the print failed (or the file was lost)
    again = attacks.cli("deposit", books, "--date", "2026-10-31")
    assert again.returncode == 0 and pdfs[0].exists() and "nothing to write" in again.stdout
    dep = pdfs[0].stem.split("books-")[1]
    mtime = pdfs[0].stat().st_mtime_ns
    rep = attacks.cli("deposit", books, "--reprint", dep)
    assert rep.returncode == 0 and pdfs[0].stat().st_mtime_ns != mtime
    assert attacks.cli("deposit", books, "--reprint", "DEP-9999999").returncode == 2


def test_a_colleague_save_just_before_the_rename_is_kept_and_the_run_refused(books):
    """The check and the replacement are one atomic exchange: whatever lands before it is swapped back."""
    import pytest
    from openpyxl import load_workbook
    from ardesk.io.fileadapter import file_stamp, save_atomic
    from ardesk.io.port import WorkbookError
    stamp = file_stamp(books)
    wb = load_workbook(books)
    colleague = books.with_name("colleague.xlsx")
    colleague.write_bytes(books.read_bytes() + b"")
    load_workbook(colleague).save(colleague)
    os.replace(colleague, books)                               # their save lands after ardesk read the file
    theirs = books.read_bytes()
    with pytest.raises(WorkbookError, match="changed by someone else"):
        save_atomic(wb, books, original_stamp=stamp)
    assert books.read_bytes() == theirs
    assert not list(books.parent.glob(f"{TEMP_PREFIX}*"))


def test_a_rejected_run_never_rewrites_an_input_cell(tmp_path):
    """A date cell holding 1e20: the run is refused naming the value as typed, and the cell is kept as typed."""
    from openpyxl import load_workbook
    wb_path = tmp_path / "typed.xlsx"
    assert attacks.cli("init", wb_path).returncode == 0
    wb = load_workbook(wb_path)
    ws = wb["Receipts"]
    ws["A2"], ws["B2"], ws["G2"] = 1e20, "transfer", 5
    ws["A2"].number_format = "yyyy-mm-dd"
    wb.save(wb_path)
    out = attacks.cli("validate", wb_path)
    assert out.returncode == 1 and "Receipts, row 2, Date (A) [1e+20]" in out.stdout
    with zipfile.ZipFile(wb_path) as z:        # openpyxl reads the cell back as an error; the file holds it as typed
        sheet = next(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")
                     and b'<c r="A2"' in z.read(n) and b">1E+20<" in z.read(n).upper())
    assert b"5</v>" in sheet
