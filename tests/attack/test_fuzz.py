"""The fuzzer: hostile values in every input tab, setting and bank file; no traceback, and a refused run
writes the Exceptions tab only.  ARDESK_FUZZ=N runs N mutations of each kind instead of the CI's 1,200."""
from __future__ import annotations

import attacks


def test_workbook_mutations_never_raise_and_refusals_write_only_exceptions():
    n = attacks.env_count("ARDESK_FUZZ", 1200)
    out = attacks.fuzz_workbooks(n)
    assert out.runs == n
    assert not out.tracebacks, out.tracebacks[:3]
    assert not out.wrote_beyond_exceptions, out.wrote_beyond_exceptions[:3]
    assert out.refused > n // 4            # the mutations are hostile enough to be refused often ...
    assert out.refused < n                 # ... and not so hostile that nothing gets past validation


def test_bank_file_mutations_never_raise(tmp_path):
    n = attacks.env_count("ARDESK_FUZZ", 1200) // 4
    out = attacks.fuzz_bank_files(n, tmp_path)
    assert not out.tracebacks, out.tracebacks[:3]
    assert not out.wrote_beyond_exceptions, out.wrote_beyond_exceptions[:3]
    assert 0 < out.refused < n


def test_every_card_number_spelling_is_masked_in_everything_written(tmp_path):
    n, leaks = attacks.card_spellings_masked(tmp_path)
    assert n >= 12 and not leaks, leaks
