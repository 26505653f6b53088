"""The real `ardesk` command on a real workbook: killed during save, two writers, a colleague's stale save,
hand edits of posted rows."""
from __future__ import annotations

import random
import shutil

import attacks
from ardesk.io.lock import owner_bytes, owner_name


def test_killed_during_save_leaves_old_or_new_and_a_rerun_equals_a_clean_run(books, bank_file):
    kills, failures = attacks.kill_during_save(books, bank_file, 4, random.Random(9))
    assert kills == 4 and not failures, failures


def test_two_writers_at_once_post_each_line_once(books, bank_file, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("date,amount,payer,reference\n2026-10-30,77.77,Someone,desk 2\n", encoding="utf-8")
    tries, failures = attacks.race(books, bank_file, other, 2)
    assert not failures, failures


def test_stale_colleague_save_is_detected_with_who_and_recovered(books, bank_file):
    detected, recovered, failures = attacks.stale_colleague_save(books, bank_file, 1)
    assert (detected, recovered) == (1, 1), failures


def test_every_hand_edit_of_posted_rows_is_named_by_verify(books):
    assert attacks.cli("verify", books).returncode == 0
    edits, missed = attacks.tamper_detected(books)
    assert edits >= 11 and not missed, missed


def test_verify_names_table_row_column_and_both_values(books):
    from openpyxl import load_workbook
    wb = load_workbook(books)
    attacks.HAND_EDITS["Payments amount raised by 1,000"](wb)
    cell = attacks._cell(wb["Payments"], "tblPayments", "Amount")
    wb.save(books)
    out = attacks.cli("verify", books)
    assert out.returncode == 1
    line = next(ln for ln in out.stdout.splitlines() if "Amount" in ln)
    assert f"Payments, row {cell.row}, Amount" in line and "reversing entry" in line
    old, new = float(cell.value) - 1000, float(cell.value)
    assert f"was '{old:g}'" in line.replace(".0'", "'") and f"is now '{new:g}'" in line.replace(".0'", "'")
    for command in ("validate", "reconcile", "report", "month-end"):
        assert attacks.cli(command, books).returncode == 1, command


def test_the_lock_is_excel_s_owner_file_and_names_who_has_it(books, bank_file):
    owner = books.with_name("~$" + books.name)
    owner.write_bytes(owner_bytes("Jane Clerk"))
    out = attacks.ardesk("receive", books, "--bank", bank_file)
    assert out.returncode == 2 and "Jane Clerk" in out.stderr
    assert owner_name(owner.read_bytes()) == "Jane Clerk" and len(owner.read_bytes()) == 165
    owner.unlink()
    # a lock left by a killed ardesk of this host is recognised and removed by the next run
    log = books.with_name(books.stem + ".ardesk")
    owner.write_bytes(owner_bytes("ghost"))
    (log / "lock.json").write_text('{"host": "%s", "pid": 999999, "user": "ghost"}' % __import__("socket").gethostname())
    out = attacks.ardesk("receive", books, "--bank", bank_file)
    assert out.returncode == 0, out.stderr
    assert not owner.exists()


def test_without_the_run_log_the_audit_anchors_still_catch_an_edit(books):
    from openpyxl import load_workbook
    shutil.rmtree(books.with_name(books.stem + ".ardesk"))
    assert attacks.cli("verify", books).returncode == 0
    wb = load_workbook(books)
    attacks.HAND_EDITS["Payments amount raised by 1,000"](wb)
    wb.save(books)
    out = attacks.cli("verify", books)
    assert out.returncode == 1 and "do not hash to the chain head the Audit row" in out.stdout
