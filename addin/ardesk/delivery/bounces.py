"""Bounce messages: RFC 3464 delivery status notifications a clerk saves in the bounce folder.

A mail server that cannot deliver a message sends back a report
(``multipart/report; report-type=delivery-status``): a note for people, a
``message/delivery-status`` part with one block per recipient (``Final-Recipient``,
``Action``, ``Status``, ``Diagnostic-Code``, RFC 3464 section 2.3) and the
original message or its headers (``message/rfc822`` or
``text/rfc822-headers``).  The clerk saves those reports (``.eml``, as any mail
program saves a message) in the folder *BounceFolder* names on Settings.

:func:`read_folder` finds, in each report, the Message-ID of the message that
failed (from the returned headers, else the report's own ``In-Reply-To`` /
``References``) and every recipient whose ``Action`` is ``failed``; a
``delayed`` report is no bounce (the server is still trying).
:func:`bounced_rows` matches them to the Deliveries rows by Message-ID and
makes one ``bounced`` row per message and address, once, however often the
folder is read.
"""
from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Mapping, Sequence

from ..core.model import Problem
from ..core.read import as_text


@dataclass(frozen=True)
class Bounce:
    file: str
    message_id: str          # of the message that could not be delivered, with its <>
    recipient: str           # as the report names it (Final-Recipient, else Original-Recipient)
    status: str              # RFC 3463 code, e.g. 5.1.1
    diagnostic: str


_ADDRESS = re.compile(r"^\s*(?:rfc822\s*;)?\s*<?([^<>\s;]+@[^<>\s;]+?)>?\s*$", re.I)


def _address(field: str | None) -> str:
    m = _ADDRESS.match(field or "")
    return m.group(1) if m else (field or "").strip()


def _original_message_id(report) -> str:
    for part in report.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if hasattr(inner, "get") and inner.get("Message-ID"):
                return str(inner["Message-ID"]).strip()
        elif ctype in ("text/rfc822-headers", "message/global-headers"):
            payload = part.get_payload(decode=True) or b""
            headers = email.message_from_bytes(payload.lstrip(), policy=email.policy.default)
            if headers.get("Message-ID"):
                return str(headers["Message-ID"]).strip()
    for name in ("In-Reply-To", "References"):
        ids = re.findall(r"<[^<>\s]+>", str(report.get(name, "")))
        if ids:
            return ids[0]
    return ""


def parse(data: bytes, name: str) -> tuple[list[Bounce], str]:
    """(the failed recipients of a report, why it is not one: "" when it is)."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    if msg.get_content_type() != "multipart/report" or msg.get_param("report-type", "").lower() != "delivery-status":
        return [], f"is not a delivery status notification (Content-Type {msg.get_content_type()})"
    status_part = next((p for p in msg.walk() if p.get_content_type() in ("message/delivery-status",
                                                                           "message/global-delivery-status")), None)
    if status_part is None:
        return [], "has no message/delivery-status part"
    blocks = status_part.get_payload()
    if not isinstance(blocks, list):          # message/global-delivery-status comes as text
        text = status_part.get_payload(decode=True) or b""
        blocks = [email.message_from_bytes(b.strip() + b"\n", policy=email.policy.default)
                  for b in re.split(rb"\r?\n\r?\n", text) if b.strip()]
    message_id = _original_message_id(msg)
    if not message_id:
        return [], "names no Message-ID of the message it reports on"
    out = []
    for block in blocks[1:]:                   # the first block is about the message, the others per recipient
        if str(block.get("Action", "")).strip().lower() != "failed":
            continue
        recipient = _address(block.get("Final-Recipient")) or _address(block.get("Original-Recipient"))
        diagnostic = re.sub(r"\s+", " ", str(block.get("Diagnostic-Code", "")).partition(";")[2]
                            or str(block.get("Diagnostic-Code", ""))).strip()
        out.append(Bounce(name, message_id, recipient, str(block.get("Status", "")).strip(), diagnostic))
    return out, ""


def read_folder(folder: Path) -> tuple[list[Bounce], list[Problem]]:
    """Every failed recipient in the reports in ``folder`` (``*.eml``, in name order), and notes on the
    files that are not reports; a folder that does not exist holds none."""
    if not folder.is_dir():
        return [], []
    bounces, notes = [], []
    for path in sorted(folder.glob("*.eml")):
        try:
            found, why = parse(path.read_bytes(), path.name)
        except OSError as exc:
            found, why = [], f"cannot be read: {exc}"
        bounces += found
        if why:
            notes.append(Problem(f"bounce folder: {path} {why}; it is left as it is", "", None, "", path.name,
                                 "send", blocking=False))
    return bounces, notes


def bounced_rows(bounces: Sequence[Bounce], deliveries: Sequence[dict], now: datetime, user: str,
                 customer_of: Mapping[str, str] | None = None) -> tuple[list[tuple], list[Problem]]:
    """One ``bounced`` Deliveries row per failed message and address not yet marked, and a line for the clerk
    on each; reports on messages the Deliveries tab does not hold are noted."""
    sent = {}
    marked = set()
    for r in deliveries:
        mid = as_text(r["MessageID"])
        if not mid:
            continue
        if as_text(r["Status"]) == "bounced":
            marked.add((mid, as_text(r["Address"]).lower()))
        elif as_text(r["Channel"]) in ("email", "draft"):
            sent.setdefault(mid, r)
    rows, problems = [], []
    for b in bounces:
        row = sent.get(b.message_id)
        if row is None:
            problems.append(Problem(f"bounce {b.file}: message {b.message_id} to {b.recipient} is not on the "
                                    "Deliveries tab (not sent from this workbook)", "", None, "", b.file, "send",
                                    blocking=False))
            continue
        address = b.recipient or as_text(row["Address"])
        if (b.message_id, address.lower()) in marked:
            continue
        marked.add((b.message_id, address.lower()))
        error = " ".join(p for p in (b.status, b.diagnostic) if p) or "bounced"
        document = as_text(row["DocumentNo"])
        rows.append((document, as_text(row["Kind"]), as_text(row["Channel"]), address, b.message_id, "bounced",
                     error[:250], now, user))
        who = f" of customer {customer_of[document]}" if customer_of and document in customer_of else ""
        problems.append(Problem(f"{document}: the message to {address} bounced ({error}, {b.file}); correct the "
                                f"e-mail address{who} on Customers and send again (a new address is sent to by the "
                                f"next run; the same one with --resend {document})", "Deliveries", None,
                                "Address", address, "send", blocking=False))
    return rows, problems
