"""Every line accounted for: what became of each line of each file a run read.

For every bank file, processor report and the Receipts tab:

    lines read = receipts posted + sent to review + settlements + debits ignored
                 + duplicates skipped + refused

*Receipts posted* includes money put in suspense (it is posted, to the
Suspense account); *settlements* are lines that bank a deposit slip or a card
payout, and processor rows that are fees, payouts, refunds or chargebacks;
*refused* are lines not imported for a reason a note gives (a file refused
whole, a run stopped by a problem, a row the format says is not final).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

OUTCOMES = ("receipts_posted", "to_review", "settlements", "debits_ignored", "duplicates_skipped", "refused")


class Tally(dict):
    """Outcomes counted per source: ``tally[source][outcome] = lines``."""

    def count(self, source: str, what: str, n: int = 1) -> None:
        counts = self.setdefault(source, {})
        counts[what] = counts.get(what, 0) + n

    def merge(self, other: "dict[str, dict[str, int]]") -> None:
        for source, counts in other.items():
            for what, n in counts.items():
                self.count(source, what, n)


@dataclass
class FileAccount:
    source: str
    format: str
    lines_read: int = 0
    receipts_posted: int = 0
    to_review: int = 0
    settlements: int = 0
    debits_ignored: int = 0
    duplicates_skipped: int = 0
    refused: int = 0

    @property
    def accounted(self) -> int:
        return sum(getattr(self, k) for k in OUTCOMES)

    @property
    def balanced(self) -> bool:
        return self.accounted == self.lines_read

    def as_dict(self) -> dict:
        return dict(asdict(self), balanced=self.balanced)

    def add(self, counts: dict[str, int]) -> None:
        for k, v in counts.items():
            if k in OUTCOMES:
                setattr(self, k, getattr(self, k) + v)

    def sentence(self) -> str:
        parts = " + ".join(f"{getattr(self, k)} {k.replace('_', ' ')}" for k in OUTCOMES)
        check = "" if self.balanced else f"  (MISSING {self.lines_read - self.accounted})"
        return f"{self.source} ({self.format}): {self.lines_read} line(s) read = {parts}{check}"


def account_files(files: list[tuple[str, str, int]], counts: dict[str, dict[str, int]],
                  stopped: bool) -> list[FileAccount]:
    """One FileAccount per (source, format, lines in the file), from the per-source ``counts`` of
    the steps.  A run that stopped imported nothing: every line read is refused."""
    out = []
    for source, fmt, n in files:
        acc = FileAccount(source, fmt, n)
        if stopped:
            acc.refused = n
        else:
            acc.add(counts.get(source, {}))
        out.append(acc)
    return out
