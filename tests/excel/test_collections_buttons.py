"""The collections buttons through xlwings' remote engine give the workbook the file adapter gives."""
from __future__ import annotations

from decimal import Decimal as D

from ardesk.core.collections.steps import COLLECTIONS_TABLES
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Changes
from ardesk.io.rows import canonical

from ardesk.delivery.send import send

from .xlremote_helpers import NOW, USER, assert_same, click, file_run, snapshot

MORE = COLLECTIONS_TABLES + ("tblCustomerHistory", "tblDocuments", "tblDeliveries")


FOLDERS = ("DocumentsFolder", "BounceFolder")


def full_snapshot(path):
    """Every table and setting but the folders, which each copy has its own of."""
    out = snapshot(path)
    out["settings"] = {k: v for k, v in out["settings"].items() if k not in FOLDERS}
    for name, t in FileWorkbook(path).read_tables(MORE).items():
        out[name] = (t.header, [tuple(map(canonical, r)) for r in t.rows if not t.is_blank(r)])
    return out


def test_collections_buttons_match_file_runs(pair, tmp_path, monkeypatch):
    remote, local = pair
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)                    # the server's working folder: nothing may be written in it
    books = FileWorkbook(local)
    invoices = books.read_tables(["tblInvoices"])["tblInvoices"]
    first = invoices.rows[0]
    inv_no, cid = first[0], first[2]
    for path in (remote, local):
        ch = Changes()
        ch.append("tblDunningLevels", [("strict", 1, 7, D(0), D("5.00"), "contract", D("0.12"), "none", "letter",
                                        "reminder-letter", None),
                                       ("strict", 2, 30, D(0), D("10.00"), "none", None, "none", "call task",
                                        "call-script", None)])
        ch.append("tblCreditNotes", [(first[3], "credit note", inv_no, None, None, D("1.00"), None,
                                      "goodwill", None, None)])
        ch.names["CardCustomer"] = cid
        ch.names["DunningPolicy"] = "strict"
        ch.names["HoldDaysPastDue"] = 20
        # the remote book has no folder: its documents go to absolute folders on the server
        where = tmp_path / ("server" if path == remote else "local")
        ch.names.update(DocumentsFolder=str(where / "documents"), BounceFolder=str(where / "bounces"))
        FileWorkbook(path).write(ch, backup=False)
    steps = [("ardeskCredit", "credit"), ("ardeskDunningRun", "dunning"), ("ardeskIssueDunning", "issue-dunning"),
             ("ardeskSendLetters", "send letters"), ("ardeskPlans", "plan"), ("ardeskCreditHolds", "holds"),
             ("ardeskCard", "card")]
    said = {}
    for control_id, command in steps:
        result, _actions, alerts = click(remote, control_id)
        said[command] = alerts[0]["prompt"]
        expected = (send(FileWorkbook(local), tmp_path / "local", kind="letters", now=NOW, user=USER)
                    if command == "send letters" else file_run(local, command))
        assert result is not None and not result.problems, (command, result and result.problems)
        assert not expected.problems
        assert_same(full_snapshot(remote), full_snapshot(local))
        assert len(alerts) == 1 and alerts[0]["mode"] == "info"
    snap = full_snapshot(remote)
    assert snap["tblCreditNotes"][1][0][9] == "CN-2026-00001"
    assert snap["tblDunningHistory"][1] and snap["tblCollections"][1] and snap["tblCustomerCard"][1]
    letters = len({r[1] for r in snap["tblDunningHistory"][1]})
    assert f"{letters} dunning letter(s) issued" in said["issue-dunning"]
    assert "Send letters delivers them" in said["issue-dunning"]
    # level 1 goes by letter: every letter in one print batch, archived with the same bytes as the file run's
    printed = {r[0] for r in snap["tblDeliveries"][1] if r[5] == "printed"}
    assert printed == {r[1] for r in snap["tblDunningHistory"][1]}
    assert "0 document(s) sent, 0 failed" in said["send letters"] and "page(s) to print" in said["send letters"]
    for row in snap["tblDocuments"][1]:
        assert (tmp_path / "server/documents" / row[6]).read_bytes() == (tmp_path / "local/documents" / row[6]).read_bytes()
    assert not list(cwd.iterdir())
    assert "1 credit note(s) issued" in said["credit"] and f"customer card of {cid}" in said["card"]
