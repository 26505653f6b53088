"""A run's record hashes its new rows once: the states its Audit row was anchored with are taken on."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from ardesk.core.ledger import chain
from ardesk.io import runlog
from ardesk.io.port import Changes
from tests.bank.test_mask_rows import MIXED, _random_rows

AT = datetime(2026, 11, 2, 9, 0)


def _changes() -> Changes:
    ch = Changes()
    ch.appends["tblJournal"] = [r + (None,) * (12 - len(r)) for r in MIXED + _random_rows(400)]
    ch.appends["tblPayments"] = [("P-1", date(2026, 11, 2), "bank.csv", "transfer", "Acme", "C001", "INV-7", None,
                                  Decimal("12.50"), "EUR", "f" * 24, "DE89370400440532013000"),
                                 ("P-2", datetime(2026, 11, 2, 9, 30), "", "", "", "", "", "", 0.1, "EUR", "", "")]
    ch.appends["tblAudit"] = [(AT, "clerk", "receive", "posted 2 receipt(s); chain Journal=3:abc")]
    return ch


def _before() -> dict:
    return {"tblJournal": chain.State(3, "1" * 64), "tblPayments": chain.State(0, chain.GENESIS),
            "tblAudit": chain.State(1, "2" * 64), "tblInvoices": chain.State(5, "3" * 64)}


def test_encode_row_is_encode_cell_by_cell():
    rows = MIXED + _random_rows(3000)
    by_cell = [[runlog.encode(v) for v in r] for r in rows]
    assert [runlog.encode_row(r) for r in rows] == by_cell
    assert [runlog.encode_row(r, runlog.canon(r)) for r in rows] == by_cell       # from the anchored texts


def test_the_record_of_an_anchored_run_is_the_record_hashed_afresh(monkeypatch):
    plain = runlog.run_record("run", "receive", "clerk", AT, _before(), _changes(), {})
    ch = _changes()
    text = runlog.anchor(_before(), ch)
    links = []
    link = chain.link
    monkeypatch.setattr(chain, "link", lambda head, row: links.append(row) or link(head, row))
    anchored = runlog.run_record("run", "receive", "clerk", AT, _before(), ch, {})
    assert anchored == plain                       # the same states after, the same id
    assert len(links) == 1                         # only the anchoring Audit row was hashed
    assert ch.anchored.rows["tblJournal"] == [runlog.canon(r) for r in _changes().appends["tblJournal"]]
    after = {t: runlog.State.from_json(s) for t, s in plain["after"].items()}
    assert text == chain.anchor_text({**after, "tblAudit": _before()["tblAudit"]})   # the rows before the anchor


def test_rows_added_after_the_anchor_are_hashed_afresh():
    ch = _changes()
    runlog.anchor(_before(), ch)
    ch.appends["tblPayments"].append(("P-3", date(2026, 11, 3), "", "", "", "", "", "", Decimal("1"), "EUR", "", ""))
    rec = runlog.run_record("run", "receive", "clerk", AT, _before(), ch, {})
    fresh = _changes()
    fresh.appends["tblPayments"] = list(ch.appends["tblPayments"])
    assert rec == runlog.run_record("run", "receive", "clerk", AT, _before(), fresh, {})
    assert rec["after"]["tblPayments"][0] == 3
    other = _changes()
    runlog.anchor({**_before(), "tblInvoices": chain.State(6, "4" * 64)}, other)      # from other states
    assert runlog.run_record("run", "receive", "clerk", AT, _before(), other, {}) == \
        runlog.run_record("run", "receive", "clerk", AT, _before(), _changes(), {})


def test_anchored_rows_are_not_masked_again(monkeypatch):
    ch = _changes()
    runlog.anchor(_before(), ch)
    masked = []
    mask = runlog._mask
    monkeypatch.setattr(runlog, "_mask", lambda v: masked.append(v) or mask(v))
    rec = runlog.run_record("run", "receive", "clerk", AT, _before(), ch, {})
    assert masked == []                            # the Audit row holds no text that may hold a card number
    assert "paid with ************1111" in rec["appends"]["tblJournal"][0]


def test_a_record_dumped_in_pieces_is_the_record_dumped_whole(monkeypatch):
    monkeypatch.setattr(runlog, "DUMP_ROWS", 7)
    rec = runlog.run_record("run", "receive", "clerk ü", AT, _before(), _changes(), {})
    assert len(rec["appends"]["tblJournal"]) > 7
    for options in ({"sort_keys": True, "default": str}, {"ensure_ascii": False, "separators": (",", ":")}):
        assert "".join(runlog.dump_pieces(rec, **options)) == json.dumps(rec, **options)
    assert "".join(runlog.dump_pieces({"appends": {}, "x": 1})) == json.dumps({"appends": {}, "x": 1})
