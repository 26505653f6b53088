"""Card numbers a clerk typed into input cells: a refused run leaves them as typed and shows none in full; a
run that posts masks them to the last four digits in every tab, naming the cells on Audit, never the number."""
from __future__ import annotations

import attacks


def test_typed_card_numbers_are_masked_by_the_run_that_posts(books):
    out = attacks.typed_card_numbers_masked(books)
    assert out.rejected_kept_as_typed, "the refused run rewrote an input cell or posted"
    assert not out.rejected_leaks, out.rejected_leaks[:3]
    assert out.masked_cells == out.typed_cells == 4 * len(attacks.CARD_SPELLINGS)
    assert out.last_four_kept
    assert not out.leaks, out.leaks[:3]
    assert out.held == len(attacks.CARD_SPELLINGS) == 14
