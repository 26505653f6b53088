"""The collections buttons through xlwings' remote engine give the workbook the file adapter gives."""
from __future__ import annotations

from decimal import Decimal as D

from ardesk.core.collections.steps import COLLECTIONS_TABLES
from ardesk.io.fileadapter import FileWorkbook
from ardesk.io.port import Changes
from ardesk.io.rows import canonical

from .xlremote_helpers import assert_same, click, file_run, snapshot

MORE = COLLECTIONS_TABLES + ("tblCustomerHistory",)


def full_snapshot(path):
    out = snapshot(path)
    for name, t in FileWorkbook(path).read_tables(MORE).items():
        out[name] = (t.header, [tuple(map(canonical, r)) for r in t.rows if not t.is_blank(r)])
    return out


def test_collections_buttons_match_file_runs(pair):
    remote, local = pair
    books = FileWorkbook(local)
    invoices = books.read_tables(["tblInvoices"])["tblInvoices"]
    first = invoices.rows[0]
    inv_no, cid = first[0], first[2]
    for path in (remote, local):
        ch = Changes()
        ch.append("tblDunningLevels", [("strict", 1, 7, D(0), D("5.00"), "contract", D("0.12"), "none", "letter",
                                        "reminder-1", None),
                                       ("strict", 2, 30, D(0), D("10.00"), "none", None, "none", "call task",
                                        "call-script", None)])
        ch.append("tblCreditNotes", [(first[3], "credit note", inv_no, None, None, D("1.00"), None,
                                      "goodwill", None, None)])
        ch.names["CardCustomer"] = cid
        ch.names["DunningPolicy"] = "strict"
        ch.names["HoldDaysPastDue"] = 20
        FileWorkbook(path).write(ch, backup=False)
    steps = [("ardeskCredit", "credit"), ("ardeskDunningRun", "dunning"), ("ardeskIssueDunning", "issue-dunning"),
             ("ardeskPlans", "plan"), ("ardeskCreditHolds", "holds"), ("ardeskCard", "card")]
    said = {}
    for control_id, command in steps:
        result, _actions, alerts = click(remote, control_id)
        said[command] = alerts[0]["prompt"]
        expected = file_run(local, command)
        assert result is not None and not result.problems, (command, result and result.problems)
        assert not expected.problems
        assert_same(full_snapshot(remote), full_snapshot(local))
        assert len(alerts) == 1 and alerts[0]["mode"] == "info"
    snap = full_snapshot(remote)
    assert snap["tblCreditNotes"][1][0][9] == "CN-2026-00001"
    assert snap["tblDunningHistory"][1] and snap["tblCollections"][1] and snap["tblCustomerCard"][1]
    letters = len({r[1] for r in snap["tblDunningHistory"][1]})
    assert f"{letters} dunning letter(s) issued" in said["issue-dunning"]
    assert "1 credit note(s) issued" in said["credit"] and f"customer card of {cid}" in said["card"]
