"""The `ardesk` command: a thin shell over :mod:`ardesk.app`.

Exit codes: 0 done; 1 problems in the workbook or files stopped the run
(nothing but the Exceptions tab was written); 2 the command could not run
(bad arguments, missing or locked workbook).
"""
from __future__ import annotations

import argparse
import json
import sys
from contextlib import nullcontext
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Sequence

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _period(text: str) -> str:
    from .core.periods import parse_period
    try:
        parse_period(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def bank_formats() -> list[str]:
    from .bank import FORMATS
    return list(FORMATS)


def _amount(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount such as 250.00") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount such as 250.00")
    return value


def _credit_request(args) -> dict | None:
    if args.command != "credit" or not (args.invoice or args.customer):
        return None
    if not args.reason:
        raise argparse.ArgumentTypeError("--reason is required with --invoice or --customer")
    return {"date": args.credit_date, "action": args.action, "invoice": args.invoice, "customer": args.customer,
            "lines": args.lines, "amount": args.amount, "reason": args.reason, "payment_ref": args.payment_ref}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ardesk", description="Billing and accounts-receivable desk for an Excel workbook.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, workbook: bool = True) -> None:
        if workbook:
            sp.add_argument("workbook", type=Path, help="the billing workbook (.xlsx)")
        sp.add_argument("--dry-run", action="store_true", help="report what would be written; write nothing")
        sp.add_argument("--json", action="store_true", help="print a machine-readable summary on stdout")

    def cash_flags(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--processor", action="append", type=Path, default=[], metavar="FILE",
                        help="a Stripe or PayPal report (repeatable)")
        sp.add_argument("--lenient-balances", action="store_true",
                        help="import statements whose balances do not add up, listing the difference as a note")

    sp = sub.add_parser("init", help="create a new, empty billing workbook")
    sp.add_argument("workbook", type=Path)
    sp.add_argument("--dry-run", action="store_true")
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser("demo", help="build a demo workbook with three months of history and run month-end")
    sp.add_argument("workbook", type=Path, nargs="?", default=Path("ardesk-demo.xlsx"))
    sp.add_argument("--customers", type=int, default=500)
    sp.add_argument("--period", type=_period, help="the month-end period (default: last month)")
    sp.add_argument("--seed", type=int, default=2026)
    sp.add_argument("--dry-run", action="store_true")
    sp.add_argument("--json", action="store_true")

    sp = sub.add_parser("validate", help="check every input tab; post nothing")
    common(sp)
    sp = sub.add_parser("bill", help="issue the invoices of a period")
    common(sp)
    sp.add_argument("--period", type=_period, help="YYYY-MM (default: Current period on Settings)")
    sp.add_argument("--preview", action="store_true",
                    help="issue nothing: fill the Proof tab and write a proof PDF of what would be issued")
    sp = sub.add_parser("send", help="issue, archive and deliver documents: e-mail, drafts or the print batch")
    common(sp)
    sp.add_argument("--kind", choices=("invoices", "credit-notes", "statements", "letters"), default="invoices")
    sp.add_argument("--period", type=_period, help="YYYY-MM: documents of that month (statements: as of its end)")
    sp.add_argument("--resend", action="append", default=[], metavar="NUMBER",
                    help="send this document again even if it was delivered (repeatable)")
    sp.add_argument("--workers", type=int, metavar="N",
                    help="processes issuing invoices and credit notes while the others are mailed "
                         "(default: one per core for 100 documents or more; 1: none)")
    sp.add_argument("--issue-date", type=_date, help="date the run's invoices YYYY-MM-DD (default: the period's first day)")
    sp = sub.add_parser("receive", help="post receipts from the Receipts tab and bank files")
    common(sp)
    sp.add_argument("--bank", action="append", type=Path, default=[], metavar="FILE",
                    help="a bank file or a zip archive of them (repeatable)")
    sp.add_argument("--format", dest="bank_format", choices=bank_formats(), metavar="NAME",
                    help=f"bank file format (default: detected): {', '.join(bank_formats())}")
    sp.add_argument("--profile", type=Path, metavar="FILE", dest="bank_profile",
                    help="your bank's CSV column-mapping profiles, a JSON file (default: Settings, BankCsvProfile)")
    cash_flags(sp)
    sp = sub.add_parser("apply-review", help="post the decisions typed on the Review tab")
    common(sp)
    sp = sub.add_parser("deposit", help="put undeposited checks and cash on a deposit slip (tab and PDF)")
    common(sp)
    sp.add_argument("--date", type=_date, dest="deposit_date", help="slip date YYYY-MM-DD (default: today)")
    sp.add_argument("--reprint", metavar="DEP-...", help="print the PDF of a slip already on the Deposits tab again")
    sp = sub.add_parser("reconcile", help="AR roll-forward and subledger vs control")
    common(sp)
    sp.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: Reports as of on Settings, or today)")
    sp = sub.add_parser("report", help="fill the Aging, Summary and Reconciliation tabs")
    common(sp)
    sp.add_argument("--as-of", type=_date)
    sp = sub.add_parser("month-end", help="bill, receive, reconcile and report a period in one run")
    common(sp)
    sp.add_argument("--period", type=_period)
    sp.add_argument("--issue-date", type=_date, help="date the run's invoices YYYY-MM-DD")
    sp.add_argument("--bank", action="append", type=Path, default=[], metavar="FILE")
    sp.add_argument("--format", dest="bank_format", choices=bank_formats(), metavar="NAME")
    cash_flags(sp)
    sp = sub.add_parser("close", help="lock a reconciled period: nothing may be posted in it afterwards")
    common(sp)
    sp.add_argument("--period", type=_period, required=True)
    sp = sub.add_parser("import", help="bring in customers and open invoices from QuickBooks, Xero or another system")
    common(sp)
    sp.add_argument("--customers", type=Path, required=True, metavar="FILE", help="customer list / contacts export")
    sp.add_argument("--open-invoices", type=Path, required=True, metavar="FILE",
                    help="open invoices / A/R aging detail export")
    sp.add_argument("--format", dest="export_format", choices=("quickbooks", "xero", "generic"), default="generic")
    sp.add_argument("--mapping", type=Path, metavar="FILE", help="column mapping (TOML); needed with --format generic")
    sp.add_argument("--opening-date", type=_date, help="date of the opening entry (default: the latest issue date)")
    sp = sub.add_parser("verify", help="check every posted row against the run log and the hash chains")
    sp.add_argument("workbook", type=Path)
    sp.add_argument("--json", action="store_true")
    sp = sub.add_parser("recover", help="put back posted runs that a colleague's stale save dropped")
    sp.add_argument("workbook", type=Path)
    sp.add_argument("--json", action="store_true")
    sp = sub.add_parser("archive", help="move what was settled before a date to the archive workbook")
    common(sp)
    sp.add_argument("--before", type=_date, required=True,
                    help="YYYY-MM-01: the first day that stays in the workbook (inside the locked periods)")
    sp = sub.add_parser("credit", help="issue credit notes, voids, write-offs and refunds (CreditNotes tab)")
    common(sp)
    sp.add_argument("--invoice", help="credit this invoice (besides the rows of the CreditNotes tab)")
    sp.add_argument("--customer", help="refund: the customer whose credit is paid back")
    sp.add_argument("--action", choices=("credit note", "void", "write-off", "refund"), default="credit note")
    sp.add_argument("--amount", type=_amount, help="tax included (default: the whole invoice, balance or credit)")
    sp.add_argument("--lines", help="credit these invoice line numbers, e.g. 1,3")
    sp.add_argument("--reason", help="why (required with --invoice or --customer)")
    sp.add_argument("--payment-ref", help="refund: the reference of the payment sent")
    sp.add_argument("--date", type=_date, dest="credit_date", help="YYYY-MM-DD (default: today)")
    sp = sub.add_parser("dunning", help="propose dunning letters as of a date (Dunning tab), post nothing")
    common(sp)
    sp.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: today)")
    sp = sub.add_parser("issue-dunning", help="issue the proposed dunning letters, their fees and interest, "
                                              "and send the letters (e-mail, print batch; calls on the worklist)")
    common(sp)
    sp.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: the date of the proposals on the Dunning tab)")
    sp = sub.add_parser("plan", help="set up the payment plans typed on PaymentPlans and update their state")
    common(sp)
    sp.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: today)")
    sp = sub.add_parser("card", help="fill the Customer tab: one customer's account at a glance")
    common(sp)
    sp.add_argument("--customer", help="the customer ID (default: Customer card for on Settings)")
    sp.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: today)")
    sp = sub.add_parser("holds", help="propose credit holds (CreditHolds tab); put the confirmed ones on hold")
    common(sp)
    sp.add_argument("--as-of", type=_date, help="YYYY-MM-DD (default: today)")
    sp = sub.add_parser("build-addin", help="build the ardesk Excel add-in (.xlam)")
    sp.add_argument("--out", type=Path, default=None)
    sp = sub.add_parser("build-lite", help="build ardesk's pure-Python wheel, requirements.txt and main.py for xlwings Lite")
    sp.add_argument("--out", type=Path, default=None, help="folder (default: dist-lite)")
    sp.add_argument("--url", help="where the wheel will be hosted (written into requirements.txt)")
    return p


def _progress(enabled: bool):
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm
    bar = tqdm(total=None, desc="ardesk", unit="step", file=sys.stderr, leave=False,
               bar_format="{desc}: {postfix} [{elapsed}]")

    def tick(step: str) -> None:
        bar.set_postfix_str(step)
        bar.update(1)
    return tick, bar.close


def print_summary(s: dict, out=None) -> None:
    out = out or sys.stdout
    print(f"ardesk {s['command']}: " + ("dry run, nothing written" if s.get("dry_run") else
                                        ("written" if s.get("written") else "nothing to write")), file=out)
    print(f"  invoices issued     {s.get('invoices_issued', 0)}", file=out)
    print(f"  receipts posted     {s.get('receipts_posted', 0)}"
          + (f"  (duplicates skipped {s['duplicates_skipped']})" if s.get("duplicates_skipped") else ""), file=out)
    if "to_review" in s:
        print(f"  matched and posted  {s.get('auto_posted', 0)}; sent to the Review tab {s['to_review']}", file=out)
    if s.get("review_waiting"):
        print(f"  waiting on Review   {s['review_waiting']} (decide them, then apply-review)", file=out)
    for d in s.get("deposit_slips") or ():
        print(f"  deposit slip        {d['deposit_id']}: {d['items']} item(s), {d['currency']} {d['total']}", file=out)
    if "invoices_previewed" in s:
        print(f"  invoices previewed  {s['invoices_previewed']}; delivery stopped for {s['delivery_stopped']} "
              "(see the Proof tab)", file=out)
    if s.get("proof_pdf"):
        print(f"  proof PDF           {s['proof_pdf']} ({s['proof_pdf_pages']} pages)", file=out)
    for pdf in s.get("deposit_pdfs") or ():
        print(f"  printed             {pdf}", file=out)
    from .app import COLLECTIONS_COUNTS
    for key, label in COLLECTIONS_COUNTS:
        if key in s:
            print(f"  {label:<28}{s[key]}", file=out)
    for cur, v in (s.get("ar_balance") or {}).items():
        print(f"  open AR             {cur} {v}", file=out)
    print(f"  journal balanced    {'yes' if s.get('journal_balanced') else 'NO'}", file=out)
    print(f"  subledger = control {'yes' if s.get('subledger_equals_control') else 'NO'}", file=out)
    for line in s.get("file_accounting") or ():
        print(f"  file                {line}", file=out)
    if s.get("rows_added"):
        print("  rows added          " + ", ".join(f"{k} {v}" for k, v in s["rows_added"].items()), file=out)
    if s.get("command") == "import":
        print(f"  customers added     {s.get('customers_added', 0)}", file=out)
        print(f"  open items added    {s.get('items_added', 0)}  (already there {s.get('items_already_there', 0)}, "
              f"paid and skipped {s.get('paid_items_skipped', 0)}); opening date {s.get('opening_date')}", file=out)
        for line in s.get("check") or ():
            print(f"  check: {line}", file=out)
    for n in s.get("notes", [])[:10]:
        print(f"  note: {n}", file=out)
    if len(s.get("notes", [])) > 10:
        print(f"  ... {len(s['notes']) - 10} more notes on the Exceptions tab", file=out)
    if s.get("problems"):
        print(f"  {len(s['problems'])} problem(s) stopped the run; nothing was posted:", file=out)
        for p in s["problems"]:
            print(f"  - {p}", file=out)


def _json(summary: dict) -> str:
    """The summary as JSON, card numbers masked in every text first (JSON escapes full-width digits, which
    the masked stream would no longer see)."""
    from .bank.sanitize import mask_value

    def masked(v):
        if isinstance(v, dict):
            return {k: masked(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [masked(x) for x in v]
        return mask_value(v if isinstance(v, (str, int, float)) else str(v) if v is not None else None)
    return json.dumps(masked(summary), default=str, indent=2)


class _Masked:
    """A text stream that masks card numbers in all that is written to it (PCI DSS: never show the full
    number): a summary, a problem quoting a typed cell, the --json output."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from .bank.sanitize import mask_card_numbers
        return self._stream.write(mask_card_numbers(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Masked(out), _Masked(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from .io.port import WorkbookError
    try:
        if args.command == "init":
            from .io.template import create_workbook
            if not args.dry_run:
                create_workbook(args.workbook)
            msg = {"command": "init", "workbook": str(args.workbook), "written": not args.dry_run}
            print(json.dumps(msg) if args.json else f"created {args.workbook}")
            return EXIT_OK
        if args.command == "build-addin":
            from .excel.addin_build import build_addin
            print(f"built {build_addin(args.out)}")
            return EXIT_OK
        if args.command == "build-lite":
            from .excel.lite_build import build_lite
            for path in build_lite(args.out, args.url):
                print(f"built {path}")
            return EXIT_OK
        if args.command == "demo":
            from .demo import build_demo
            tick, close = _progress(not args.json and sys.stderr.isatty())
            try:
                result = build_demo(args.workbook, customers=args.customers, period=args.period, seed=args.seed,
                                    dry_run=args.dry_run, progress=tick)
            finally:
                close()
            return _finish(result, args)
        from . import app
        from .io.fileadapter import FileWorkbook
        profile = None
        if getattr(args, "bank_profile", None) is not None:
            from .bank import ProfileError, load_profiles
            try:
                profile = load_profiles(args.bank_profile)
            except ProfileError as exc:
                print(f"ardesk: --profile {exc}", file=sys.stderr)
                return EXIT_ERROR
        port = FileWorkbook(args.workbook)
        if args.command == "import":
            from .io.exports import ExportFileError
            try:
                result = app.import_books(port, args.customers, args.open_invoices, fmt=args.export_format,
                                          mapping=args.mapping, opening_date=args.opening_date, dry_run=args.dry_run)
            except ExportFileError as exc:
                print(f"ardesk: {exc}", file=sys.stderr)
                return EXIT_ERROR
            return _finish(result, args)
        if args.command == "send":
            from .delivery.send import send
            res = send(port, args.workbook.resolve().parent, kind=args.kind, period=args.period,
                       dry_run=args.dry_run, resend=args.resend, workers=args.workers)
            return _finish_send(res, args)
        if args.command == "bill" and args.preview:
            args.command = "preview"
        if args.command == "verify":
            return _verify(port, args)
        if args.command == "archive":
            with nullcontext() if args.dry_run else port.locked():
                return _archive(app.archive_books(port, args.before, dry_run=args.dry_run), args)
        if args.command == "recover":
            with port.locked():
                return _recover(port, args)
        tick, close = _progress(not args.json and sys.stderr.isatty())
        try:
            with nullcontext() if args.dry_run else port.locked():
                result = app.run(port, args.command, period=getattr(args, "period", None),
                                 as_of=getattr(args, "as_of", None), bank_files=getattr(args, "bank", ()),
                                 bank_format=getattr(args, "bank_format", None), dry_run=args.dry_run, progress=tick,
                                 processor_files=getattr(args, "processor", ()),
                                 lenient_balances=getattr(args, "lenient_balances", False),
                                 deposit_date=getattr(args, "deposit_date", None),
                                 issue_date=getattr(args, "issue_date", None), bank_profile=profile,
                                 workbook_folder=args.workbook.resolve().parent,
                                 credit_request=_credit_request(args),
                                 customer=getattr(args, "customer", None) if args.command == "card" else None)
        finally:
            close()
        if args.command == "issue-dunning" and not args.dry_run and not result.problems:
            return _issue_and_send(port, args, result)
        if args.command == "deposit" and not args.dry_run and not result.problems:
            result.summary["deposit_pdfs"] = _print_slips(port, args, result.summary.get("company", ""))
        if result.proof and not args.dry_run:
            from .delivery.proof import write_proof_pdf
            from .documents.settings import read_document_settings
            ds, _ = read_document_settings(port.read_settings(), args.workbook.resolve().parent)
            out = args.workbook.with_name(f"{args.workbook.stem}-proof-{result.summary['period']}.pdf")
            result.summary["proof_pdf_pages"] = write_proof_pdf(out, result.proof, ds)
            result.summary["proof_pdf"] = str(out)
        return _finish(result, args)
    except argparse.ArgumentTypeError as exc:
        print(f"ardesk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (WorkbookError, FileExistsError, OSError) as exc:
        print(f"ardesk: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:       # never a traceback: say what broke and that nothing was written
        print(f"ardesk: could not run {args.command}: {type(exc).__name__}: {exc}. Nothing was posted "
              "unless the run said 'written' (`ardesk verify` tells); keep the files that caused it and report "
              "this message.", file=sys.stderr)
        return EXIT_ERROR


def _print_slips(port, args, company: str) -> list[str]:
    """Print each slip on the Deposits tab that has no PDF yet (a failed print is retried), or the one asked for."""
    from . import app
    from .documents.deposit_slip import write_slip
    from .io.port import WorkbookError
    slips = app.deposit_slips_on_file(port)
    if args.reprint:
        slips = [s for s in slips if s.deposit_id == args.reprint]
        if not slips:
            raise WorkbookError(f"no deposit slip {args.reprint!r} on the Deposits tab of {args.workbook.name}")
    printed = []
    for s in slips:
        pdf = args.workbook.with_name(f"{args.workbook.stem}-{s.deposit_id}.pdf")
        if args.reprint or not pdf.exists():
            printed.append(str(write_slip(pdf, s, company)))
    return printed


def _verify(port, args) -> int:
    problems = port.check_books(full=True)         # every row hashed, even in a book as last written
    chk = port.last_check
    if args.json:
        print(json.dumps({"command": "verify", "problems": [str(p) for p in problems],
                          "run_log": chk.history is not None}, indent=2))
    elif problems:
        print(f"ardesk verify: {len(problems)} problem(s) in the posted rows of {args.workbook.name}:")
        for p in problems:
            print(f"  - {p}")
    elif chk.history is None:
        print(f"ardesk verify: no run log beside {args.workbook.name} yet (the first posting run starts one); "
              "the ledgers match the chain heads anchored on the Audit tab")
    else:
        counts = ", ".join(f"{t[3:]} {len(rows)}" for t, rows in chk.actual.items() if rows)
        print(f"ardesk verify: every posted row is as posted ({counts})")
    return EXIT_PROBLEMS if problems else EXIT_OK


def _archive(result, args) -> int:
    s = result.summary
    if args.json:
        print(json.dumps(s, default=str, indent=2))
    else:
        state = "dry run, nothing written" if s["dry_run"] else ("written" if s["written"] else "nothing to move")
        print(f"ardesk archive: {state}")
        print(f"  archive             {s['archive']}")
        print(f"  settled before      {s['before']}")
        for sheet, n in s["moved"].items():
            print(f"  moved               {sheet} {n}")
        for p in s["problems"]:
            print(f"  - {p}")
    return EXIT_PROBLEMS if result.problems else EXIT_OK


def _recover(port, args) -> int:
    chk, changes = port.recover()
    put_back = {k[3:]: len(v) for k, v in changes.appends.items()}
    left = port.check_books() if not changes.is_empty() else chk.problems
    if args.json:
        print(json.dumps({"command": "recover", "runs": [r["id"] for r in chk.lost], "rows_put_back": put_back,
                          "problems": [str(p) for p in left]}, indent=2))
    else:
        if chk.lost:
            print(f"ardesk recover: {len(chk.lost)} run(s) put back: "
                  + "; ".join(f"{r.get('command')} by {r.get('user')} at {r.get('at')}" for r in chk.lost))
            print("  rows put back     " + ", ".join(f"{k} {v}" for k, v in put_back.items()))
        else:
            print(f"ardesk recover: no posted run is missing from {args.workbook.name}")
        for p in left:
            print(f"  - {p}")
    return EXIT_PROBLEMS if left else EXIT_OK


def print_send_summary(s: dict, out=None) -> None:
    print(f"ardesk send {s['kind']}: " + ("dry run, nothing sent or written" if s.get("dry_run") else
                                          ("written" if s.get("written") else "nothing to write")), file=out)
    print(f"  documents rendered  {s['documents_rendered']}", file=out)
    print(f"  documents sent      {s['documents_sent']}  (failed {s['failed']}, drafts {s.get('drafts', 0)})",
          file=out)
    print(f"  print batch pages   {s['print_batch_pages']}" + (f"  {s['print_batch']}" if s.get("print_batch")
                                                                 else ""), file=out)
    if s.get("bounced"):
        print(f"  bounced             {s['bounced']}  (marked on Deliveries, listed on Exceptions)", file=out)
    for n in s.get("notes", [])[:10]:
        print(f"  note: {n}", file=out)
    if s.get("problems"):
        print(f"  {len(s['problems'])} problem(s); those documents were not sent:", file=out)
        for p in s["problems"]:
            print(f"  - {p}", file=out)


def _issue_and_send(port, args, result) -> int:
    """After Issue dunning: render, archive and deliver the letters not yet delivered (call tasks stay on the
    worklist), as `ardesk send --kind letters` does."""
    from .delivery.send import send
    res = send(port, args.workbook.resolve().parent, kind="letters")
    if args.json:
        print(json.dumps({**result.summary, "send": res.summary}, default=str, indent=2))
    else:
        print_summary(result.summary)
        print_send_summary(res.summary)
    return EXIT_PROBLEMS if result.problems or res.problems else EXIT_OK


def _finish_send(res, args) -> int:
    if args.json:
        print(_json(res.summary))
    else:
        print_send_summary(res.summary)
    return EXIT_PROBLEMS if res.problems else EXIT_OK


def _finish(result, args) -> int:
    if args.json:
        print(_json(result.summary))
    else:
        print_summary(result.summary)
    return EXIT_PROBLEMS if result.problems else EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
