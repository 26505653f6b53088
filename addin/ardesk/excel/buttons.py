"""The ardesk ribbon buttons: each one a thin call of :func:`ardesk.app.run`.

Classic Excel (Windows, Mac): the ribbon's VBA callback runs
``ardesk.excel.buttons.on_ribbon('<control id>')`` through RunPython;
:func:`on_ribbon` takes the calling workbook (``xw.Book.caller()``) and
dispatches on the ids of :mod:`ardesk.excel.ids`.

xlwings Lite and xlwings Server: the same buttons are scripts
(``xlwings.server.script``) named ``ardesk_validate``, ``ardesk_bill``...; a
Lite workbook's ``main.py`` imports them (see ``ardesk/excel/lite/main.py``).
They are registered only where the remote runtime is present (Lite,
``XLWINGS_ON_SERVER``, or an xlwings licence key in the environment), so
this module imports without a licence and without loading xlwings, pandas
or openpyxl: a click pays only for what its step needs.

Every button reads the workbook once, computes, and writes once (app.run
calls the port's ``write`` once).  A run stopped by problems writes only the
Exceptions tab; an error inside a run writes nothing.  The clerk gets one
message at the end saying what was done, or listing the problems.
"""
import os
import sys
from pathlib import Path

from .ids import BUTTON_BY_ID, RIBBON_BUTTONS

TITLE = "ardesk"
BANK_SUFFIXES = (".csv", ".xml", ".sta", ".mt940", ".940", ".txt", ".bai", ".bai2", ".ofx", ".qfx", ".zip")
LITE_NO_DOCUMENTS = ("{label} needs the document renderer, the e-invoice rule checker, a documents folder and "
                     "(to send) an SMTP server; xlwings Lite runs in the browser with none of them. Nothing was "
                     "done. Use the classic add-in, xlwings Server, or the command line: "
                     "ardesk bill WORKBOOK --preview, ardesk send WORKBOOK. Every other button works here.")
MAX_LISTED = 12
# Recover is the classic add-in's only: it needs the run log on the file system beside the workbook
SCRIPTS = {b.script: b.id for b in RIBBON_BUTTONS if b.command != "recover"}


class ButtonError(Exception):
    """A button cannot run as asked (no bank file chosen, command not available...)."""


# -- the workbook's surroundings ------------------------------------------------
def _engine(book) -> str:
    try:
        return book.app.engine.name
    except Exception:
        return "remote"


def _status(book, text) -> None:
    """Excel's status bar, where the engine has one (desktop); silently nothing elsewhere."""
    try:
        book.app.status_bar = text
    except Exception:
        pass


def _alert(book, prompt: str, critical: bool = False) -> None:
    """One message box: MsgBox on desktop (Windows, Mac), the add-in's dialog on Lite/Server."""
    try:
        book.app.alert(prompt, title=TITLE, mode="critical" if critical else "info")
    except Exception:
        print(prompt, file=sys.stderr)


def _actions(book):
    """The remote engine's queued actions (None on desktop engines)."""
    try:
        return book.json()["actions"] if _engine(book) == "remote" else None
    except Exception:
        return None


def _saved_folder(book) -> Path | None:
    """The folder of the workbook's file; None for a workbook that has none here (xlwings Lite and Server
    are sent the workbook's contents, not its file; a new workbook not saved yet)."""
    try:
        full = Path(book.fullname)
    except Exception:
        return None
    return full.parent if full.parent != Path(".") and full.parent.is_dir() else None


def _setting_path(value) -> Path:
    """A folder or file as named on Settings, ``~`` and environment variables expanded."""
    return Path(os.path.expandvars(os.path.expanduser(str(value).strip())))


# The Settings that name a folder or a file, with what uses them: a step's command, "inbox" (a button
# that reads the bank file inbox), "bank" (one that reads bank files).  A blank Documents or Bounce
# folder means the one beside the workbook; the others, blank, are not used.
PATH_SETTINGS = (
    ("BankInbox", ("inbox",), False),
    ("BankCsvProfile", ("bank",), False),
    ("CompanyLogo", ("preview", "send"), False),
    ("TemplatesFolder", ("preview", "send", "dunning", "issue-dunning"), False),
    ("DocumentsFolder", ("send",), True),
    ("BounceFolder", ("send",), True),
)


def _relative_paths(book, port, uses: set[str]) -> str:
    """Why a click cannot run on a workbook with no folder here: the Settings paths it ``uses`` (see
    :data:`PATH_SETTINGS`) that it would take from the workbook's folder ("" when there are none, or
    the workbook has a folder).

    xlwings Server and Lite are sent the workbook's contents, not its file.  Taken from the server's
    working folder instead, a relative Documents folder would keep one company's invoices where the
    next company's clicks write theirs (and its delivery journal would hand them one another's
    rows), and a relative bank inbox would import whatever bank files lie there."""
    if _saved_folder(book) is not None:
        return ""
    from .. import schema
    settings = port.read_settings()
    wrong = []
    for name, users, blank_is_beside in PATH_SETTINGS:
        if uses.isdisjoint(users):
            continue
        value = settings.get(name)
        text = "" if value is None else str(value).strip()
        if not text and not blank_is_beside:
            continue
        if text and _setting_path(text).is_absolute():
            continue
        label = schema.SETTINGS_BY_NAME[name].label
        wrong.append(f"- {label} ({name}) is " + (f"{text!r}, a path relative to the workbook's folder" if text
                                                  else "blank, which means a folder beside the workbook"))
    if not wrong:
        return ""
    fix = ("Clear them, or click from the classic add-in on the saved workbook: xlwings Lite can read no folder."
           if sys.platform == "emscripten" else
           "Set each to an absolute folder or file on the server, one for this company's books, or click from "
           "the classic add-in on the saved workbook.")
    return ("This workbook has no folder here (xlwings Server and Lite are sent its contents, not its file), "
            "so these Settings have nothing to be taken from:\n" + "\n".join(wrong) + "\n" + fix)


def inbox_files(book, folder: str) -> list[Path]:
    """Every bank file in the BankInbox folder (a relative folder is beside the workbook)."""
    path = _setting_path(folder)
    if not path.is_absolute():
        beside = _saved_folder(book)
        if beside is None:
            raise ButtonError(f"The bank file inbox folder {folder!r} (Settings, BankInbox) is a relative path, and "
                              "this workbook has no folder here to take it from: give a full path.")
        path = beside / path
    if not path.is_dir():
        raise ButtonError(f"The bank file inbox folder {str(path)!r} (Settings, BankInbox) does not exist.")
    return sorted(p for p in path.iterdir()
                  if p.is_file() and not p.name.startswith((".", "~")) and p.suffix.lower() in BANK_SUFFIXES)


def pick_bank_files(book) -> list[Path]:
    """Let the clerk choose bank files (Excel for Windows); elsewhere say how to use the inbox."""
    if sys.platform.startswith("win") and _engine(book) == "excel":
        kinds = ";".join(f"*{s}" for s in BANK_SUFFIXES)
        chosen = book.app.api.GetOpenFilename(f"Bank files ({kinds}),{kinds}", 1, "Import bank file", None, True)
        if not chosen:
            return []
        return [Path(p) for p in (chosen if isinstance(chosen, (list, tuple)) else [chosen])]
    raise ButtonError("Fill in 'Bank file inbox folder' (BankInbox) on the Settings tab and put the bank "
                      "files there; Import bank file then reads every file in it (files already "
                      "imported are skipped).")


def _bank_files(book, port, mode: str) -> tuple[list[Path], str]:
    """The bank files a button reads, and a note for the clerk when it reads none it could have."""
    if mode == "none":
        return [], ""
    folder = port.read_settings().get("BankInbox")
    if folder not in (None, ""):
        return inbox_files(book, str(folder)), ""
    if mode == "ask":
        try:
            return pick_bank_files(book), ""
        except ButtonError as exc:       # no dialog here (Mac, Lite, Server): the typed receipts still post
            return [], str(exc)
    return [], ""


# -- messages -------------------------------------------------------------------
def message(label: str, result) -> str:
    """What the clerk reads at the end of a run."""
    s = result.summary
    if result.problems:
        lines = [f"{label}: {len(result.problems)} problem(s) stopped the run; nothing was posted.",
                 "They are listed on the Exceptions tab:"]
        lines += [f"- {p}" for p in result.problems[:MAX_LISTED]]
        if len(result.problems) > MAX_LISTED:
            lines.append(f"... and {len(result.problems) - MAX_LISTED} more.")
        return "\n".join(lines)
    done = []
    if s.get("invoices_issued"):
        done.append(f"{s['invoices_issued']} invoice(s) issued for {s.get('period')}")
    if s.get("receipts_posted") or s.get("lines_read"):
        done.append(f"{s.get('receipts_posted', 0)} receipt(s) posted"
                    + (f", {s['duplicates_skipped']} already imported" if s.get("duplicates_skipped") else "")
                    + (f", {s['suspense']} held in suspense" if s.get("suspense") else ""))
    if result.command in ("reconcile", "report", "month-end"):
        done.append("reconciliation " + ("balanced" if s.get("subledger_equals_control") and
                                         s.get("roll_forward_balanced", True) else "shows DIFFERENCES"))
    if result.command in ("report", "month-end"):
        done.append(f"Aging and Summary as of {s.get('as_of')}")
    if result.command == "validate":
        done.append("every input tab is valid")
    if s.get("review_waiting"):
        done.append(f"{s['review_waiting']} receipt(s) wait on the Review tab")
    if result.command == "preview":
        done.append(f"{s.get('invoices_previewed', 0)} invoice(s) on the Proof tab, delivery stopped for "
                    f"{s.get('delivery_stopped', 0)}")
    from ..app import COLLECTIONS_COUNTS
    done += [f"{label} {s[key]}" if key == "customer" else f"{s[key]} {label}"
             for key, label in COLLECTIONS_COUNTS if key in s]
    if result.command == "issue-dunning" and s.get("letters_issued"):
        done.append("Send letters delivers them (e-mail, print batch)")
    for cur, v in (s.get("ar_balance") or {}).items():
        done.append(f"open AR {cur} {v}")
    head = f"{label}: " + ("; ".join(done) if done else "nothing to do") + "."
    if not result.written:
        head += " Nothing needed writing."
    if result.notes:
        head += f"\n{len(result.notes)} note(s) on the Exceptions tab."
    return head


# -- running a button -----------------------------------------------------------
def run_button(book, control_id: str, *, bank_files=None, now=None, user=None, progress=None):
    """Run the step of ``control_id`` on ``book``; show one message; return the RunResult (None on error).

    ``progress``, when given, is told each stage as the status bar is ("read", each step, "finish", "write")."""
    button = BUTTON_BY_ID.get(control_id)
    if button is None:
        _alert(book, f"ardesk has no button {control_id!r}.", critical=True)
        return None
    label = button.label
    queued = _actions(book)
    mark = len(queued) if queued is not None else 0
    port = None
    note = ""
    try:
        from .. import app
        from .adapter import XlwingsWorkbook
        port = XlwingsWorkbook(book)
        command = button.command
        if command in ("preview", "send") and sys.platform == "emscripten":
            _alert(book, LITE_NO_DOCUMENTS.format(label=label), critical=True)
            return None
        uses = {command}
        if button.bank != "none":            # bank files given by the caller: no inbox is read
            uses |= {"bank", "inbox"} if bank_files is None else {"bank"}
        refused = _relative_paths(book, port, uses)
        if refused:
            _alert(book, f"{label} could not run. {refused}\nNothing was written.", critical=True)
            return None
        if bank_files is None:
            bank_files, note = _bank_files(book, port, button.bank)
            if button.bank == "ask" and not bank_files and not _has_typed_receipts(port):
                _alert(book, f"{label}: no bank file chosen and no receipts waiting on the Receipts tab; "
                             "nothing was done." + (f"\n{note}" if note else ""))
                return None
        if command == "send":
            return _send(book, port, label, "letters" if button.id == "ardeskSendLetters" else "invoices", now, user)
        if command == "recover":
            _alert(book, recover_message(recover(book, port)))
            return None
        result = app.run(port, command, bank_files=bank_files, now=now, user=user,
                         progress=lambda step: _tell(book, label, step, progress),
                         workbook_folder=_saved_folder(book))
        pdfs = _print_slips(book, result, port)
    except Exception as exc:  # the clerk sees why
        if queued is not None:
            del queued[mark:]          # remote engines: the queued actions are simply not sent
            outcome = "Nothing was written."
        elif port is not None and getattr(port, "writing_started", False):
            # desktop Excel applies each write at once and cannot take it back
            outcome = ("The workbook may be partly written: close it WITHOUT saving and run the step again.")
        else:
            outcome = "Nothing was written."
        _status(book, False)
        _alert(book, f"{label} could not run: {exc}\n{outcome}", critical=True)
        return None
    _status(book, False)
    text = message(label, result)
    if pdfs:
        text += "\nDeposit slip PDF: " + ", ".join(str(p) for p in pdfs)
    elif result.written and result.deposit_slips:
        text += "\n" + _slips_elsewhere(book, result.deposit_slips)
    if note and not result.problems:
        text += "\n" + note
    if result.written and getattr(port, "log_note", ""):
        text += "\n" + port.log_note
    _alert(book, text, critical=bool(result.problems))
    return result


def _tell(book, label: str, step: str, progress) -> None:
    """A run's stage on the status bar, and to ``progress`` when one listens."""
    _status(book, f"ardesk {label}: {step}...")
    if progress is not None:
        progress(step)


def _send(book, port, label, kind="invoices", now=None, user=None):
    """Send documents: SMTP and the documents folder (the classic add-in and xlwings Server)."""
    from ..delivery.send import send
    res = send(port, _saved_folder(book), kind=kind, now=now, user=user)
    s = res.summary
    text = (f"{label}: {s['documents_sent']} document(s) sent, {s['failed']} failed, "
            f"{s['print_batch_pages']} page(s) to print" + (f" ({s['print_batch']})" if s.get("print_batch") else ""))
    if res.problems:
        text += "\n" + "\n".join(f"- {p}" for p in s["problems"][:MAX_LISTED])
    _alert(book, text, critical=bool(res.problems))
    return res


def recover(book, port):
    """Re-apply, from the run log beside the workbook's file, the runs a stale save dropped."""
    from .. import schema
    from ..io import runlog
    folder = _saved_folder(book)
    if folder is None:       # no file here, so no run log: another workbook's of the same name is not this one's
        return None
    path = folder / Path(book.fullname).name
    settings = port.read_settings()
    tables = port.read_tables(list(schema.TABLES))
    chk = runlog.check(runlog.RunLog(runlog.folder_for(path, settings.get("RunLogFolder"))), tables, path)
    changes = runlog.recovery(chk, tables)
    if not changes.is_empty():
        port.write(changes)
    return chk, changes


def recover_message(outcome) -> str:
    if outcome is None:
        return ("Recover: this workbook has no folder here (xlwings Server and Lite are sent its contents, not "
                "its file), so it has no run log to put runs back from. Open the saved workbook in Excel with "
                "the classic add-in, or run: ardesk recover WORKBOOK")
    chk, changes = outcome
    if chk.history is None:
        return "Recover: no run log beside this workbook; nothing to put back."
    if not chk.lost:
        rest = [str(p) for p in chk.problems]
        return "Recover: no posted run is missing." + ("".join(f"\n- {p}" for p in rest[:MAX_LISTED]) if rest else "")
    from .. import schema
    rows = ", ".join(f"{schema.TABLES[t].sheet} {len(v)}" for t, v in changes.appends.items())
    return f"Recover: {len(chk.lost)} run(s) put back ({rows}). Save the workbook."


def _has_typed_receipts(port) -> bool:
    t = port.read_tables(["tblReceipts"])["tblReceipts"]
    ix = t.header.index("PaymentID") if "PaymentID" in t.header else None
    return any(not t.is_blank(r) and (ix is None or r[ix] in (None, "")) for r in t.rows)


def _slip_folder(book, port) -> Path | None:
    """Where a click saves deposit slip PDFs: beside the workbook's file; for a workbook with no folder
    here (xlwings Server), the Documents folder of Settings when it is an absolute folder that exists on
    the server; else nowhere (xlwings Lite, or a server not set up for it)."""
    folder = _saved_folder(book)
    if folder is not None or sys.platform == "emscripten" or port is None:
        return folder
    docs = port.read_settings().get("DocumentsFolder")
    if docs in (None, ""):
        return None
    path = _setting_path(docs)
    return path if path.is_absolute() and path.is_dir() else None


def _print_slips(book, result, port=None) -> list[Path]:
    """The PDFs of the deposit slips a run made, beside the workbook (as ``ardesk deposit`` prints them).

    Where there is no folder for them (:func:`_slip_folder`), none is written: a PDF in the server's
    working folder would reach no clerk and would keep one company's deposits where the next can read
    them.  The click's message then says how to print the slips (:func:`_slips_elsewhere`)."""
    if not (result.written and result.deposit_slips):
        return []
    folder = _slip_folder(book, port)
    if folder is None:
        return []
    from ..documents.deposit_slip import write_slip
    stem = Path(book.name).stem
    company = result.summary.get("company", "")
    pdfs = [write_slip(folder / f"{stem}-{s.deposit_id}.pdf", s, company) for s in result.deposit_slips]
    result.summary["deposit_pdfs"] = [str(p) for p in pdfs]
    return pdfs


def _slips_elsewhere(book, slips) -> str:
    """What the clerk does to print slips that could not be saved beside the workbook."""
    ids = ", ".join(s.deposit_id for s in slips)
    return (f"The deposit slip(s) {ids} are on the Deposits tab. This workbook has no folder here to save "
            f"the slip PDF in (on xlwings Server: set Documents folder on Settings to a folder on the server). "
            f"Print it from the saved file: ardesk deposit {Path(book.name).name} --reprint {slips[0].deposit_id}")


def on_ribbon(control_id: str, vba_xlwings: str | None = None):
    """The classic add-in's ribbon callback (RunPython): the calling workbook, one step.

    ``vba_xlwings`` is the xlwings version of the add-in's VBA module
    (``XLWINGS_VERSION``); a click refuses to run when it is not the installed one.
    """
    import xlwings as xw
    book = xw.Book.caller()
    problem = version_mismatch(vba_xlwings)
    if problem:
        _alert(book, problem, critical=True)
        return None
    return run_button(book, control_id)


def version_mismatch(vba_xlwings: str | None) -> str:
    """Why the add-in's VBA module and the installed xlwings package do not fit together ('' if they do)."""
    import xlwings as xw
    if vba_xlwings in (None, "", xw.__version__):
        return ""
    return (f"ardesk.xlam was built with xlwings {vba_xlwings}, but Python has xlwings {xw.__version__}. "
            "Rebuild the add-in with `ardesk build-addin` and install the new ardesk.xlam "
            f"(or run `python -m pip install xlwings=={vba_xlwings}`); then click again. Nothing was done.")


# -- xlwings Lite and xlwings Server ---------------------------------------------------
def remote_runtime() -> bool:
    """True where xlwings' remote runtime serves this module (Lite, Server, or a licence key is set)."""
    return (sys.platform == "emscripten" or os.environ.get("XLWINGS_ON_SERVER") == "true"
            or bool(os.environ.get("XLWINGS_LICENSE_KEY")) or "xlwings.server" in sys.modules)


def _script(fn_name: str, control_id: str, server, xw):
    def button(book):
        run_button(book, control_id)
    button.__name__ = button.__qualname__ = fn_name
    button.__module__ = __name__
    label = BUTTON_BY_ID[control_id].label
    button.__doc__ = f"ardesk: {label}"
    button.__annotations__ = {"book": xw.Book}
    # no include: every step, validate too, checks its tabs against the ledger, so it is sent every sheet
    return server.script(name=f"ardesk: {label}")(button)


def register_scripts() -> list[str]:
    """Define the Lite/Server scripts in this module; returns their names (none without the runtime)."""
    if not remote_runtime():
        return []
    try:
        import xlwings as xw
        from xlwings import server
    except Exception:           # no licence, or an xlwings without the remote runtime
        return []
    done = []
    for fn_name, control_id in SCRIPTS.items():
        globals()[fn_name] = _script(fn_name, control_id, server, xw)
        done.append(fn_name)
    _warm_up()
    return done


def _warm_up() -> None:
    """Import what a click runs while the scripts are registered (an xlwings Server worker starting,
    Lite's task pane loading) rather than in the clerk's first click: pandas and the rest take half a
    second on a server and seconds in the browser.  The classic add-in, which starts Python for a
    click, does not come here and keeps its import lean."""
    try:
        from .. import app  # noqa: F401
        from . import adapter  # noqa: F401
    except Exception:           # the click says what is missing
        pass


REGISTERED = register_scripts()
__all__ = list(REGISTERED)          # what a Lite main.py's `from ardesk.excel.buttons import *` takes
