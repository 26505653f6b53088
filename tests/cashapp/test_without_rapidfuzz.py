"""Payer names without rapidfuzz: the Python similarity gives the same figures and the same decisions."""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from ardesk.core.cash import payers
from ardesk.core.cash.matching import MatchIndex, propose
from ardesk.core.ledger.ledger import Ledger

rapidfuzz = pytest.importorskip("rapidfuzz.fuzz")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import remitters  # noqa: E402


def test_the_python_similarity_is_rapidfuzz_s_figure():
    rng = random.Random(5)
    names = [f"{rng.choice(remitters.FIRST)} {rng.choice(remitters.TRADE)} {rng.choice(remitters.LEGAL)}"
             for _ in range(300)]
    pairs = [(payers.normal_name(a), payers.normal_name(b)) for a in names[:60] for b in names]
    alpha = "abcxyz é"
    pairs += [("".join(rng.choice(alpha) for _ in range(rng.randint(0, 90))),
               "".join(rng.choice(alpha) for _ in range(rng.randint(0, 90)))) for _ in range(3000)]
    assert [payers.python_token_sort_ratio(a, b) for a, b in pairs] == \
           [rapidfuzz.token_sort_ratio(a, b) for a, b in pairs]


def _decisions(cases, book):
    ix = MatchIndex(Ledger(list(book.invoices)), book.customers)
    out = []
    for c in cases:
        p = propose(c.line, ix)
        out.append(None if p is None else (p.customer_id, p.invoice_nos, p.confidence, p.rule))
    return out


def test_same_decisions_on_the_independent_statements(monkeypatch):
    rng = random.Random(3)
    book = remitters.build_book(rng, 200)
    cases = remitters.generate(rng, book, 20)
    # payer names retyped, so the fuzzy rule is asked: no account, no reference
    cases += [remitters.Case("fuzzy", c.line.__class__(c.line.date, c.line.amount, "EUR", f"f{i}", "bench",
                                                         "transfer", c.line.payer.replace("e", "a", 1)),
                             c.customer_id, c.pays, "review") for i, c in enumerate(cases[:200])]
    with_rf = _decisions(cases, book)
    monkeypatch.setattr(payers, "token_sort_ratio", payers.python_token_sort_ratio)
    assert _decisions(cases, book) == with_rf
    assert sum(1 for d in with_rf if d and d[3] == "fuzzy name") >= 20


def test_the_cash_application_tests_pass_without_rapidfuzz(tmp_path):
    """The decision tests run in a Python where rapidfuzz cannot be imported."""
    blocker = tmp_path / "rapidfuzz"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('rapidfuzz is not installed')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT / "addin")]))
    probe = subprocess.run([sys.executable, "-c", "from ardesk.core.cash import payers; "
                            "print(payers.token_sort_ratio is payers.python_token_sort_ratio)"],
                           env=env, capture_output=True, text=True, cwd=ROOT)
    assert probe.stdout.strip() == "True", probe.stderr
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/cashapp/test_rules.py", "tests/cashapp/test_posting.py"],
                         env=env, capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
