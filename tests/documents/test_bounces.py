"""Bounce reports (RFC 3464) a clerk saves in the bounce folder set the bounced status on Deliveries."""
from __future__ import annotations

import io

from ardesk.cli import print_send_summary
from ardesk.delivery.send import send

from .conftest import NOW, smtp_env
from .test_send import rows

# as Postfix writes it: a note, the delivery status, the returned headers
POSTFIX = """\
Return-Path: <>
Received: by mx.hafen.example (Postfix) id 4Zx1y2; Fri,  2 Oct 2026 09:31:07 +0200 (CEST)
Date: Fri,  2 Oct 2026 09:31:07 +0200 (CEST)
From: MAILER-DAEMON@mx.hafen.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: billing@example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="4Zx1y2.1790928667/mx.hafen.example"
Message-Id: <20261002073107.4Zx1y2@mx.hafen.example>

This is a MIME-encapsulated message.

--4Zx1y2.1790928667/mx.hafen.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.hafen.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{rcpt}>: host mail.hafen.example[192.0.2.7] said: 550 5.1.1
    <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox
    table (in reply to RCPT TO command)

--4Zx1y2.1790928667/mx.hafen.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.hafen.example
X-Postfix-Queue-ID: 4Zx1y2
X-Postfix-Sender: rfc822; billing@example.com
Arrival-Date: Fri,  2 Oct 2026 09:31:05 +0200 (CEST)

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mail.hafen.example
Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User
    unknown in virtual mailbox table

--4Zx1y2.1790928667/mx.hafen.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Example Billing GmbH <billing@example.com>
To: {rcpt}
Subject: Invoice INV-2026-00001 from Example Billing GmbH
Date: Fri, 02 Oct 2026 09:30:00 +0000
Message-ID: {mid}
MIME-Version: 1.0

--4Zx1y2.1790928667/mx.hafen.example--
"""

# as Exchange returns it: the whole original message attached
EXCHANGE = """\
From: Microsoft Outlook <postmaster@amt.example>
To: <billing@example.com>
Subject: Undeliverable: Invoice INV-2026-00004 from Example Billing GmbH
Date: Fri, 2 Oct 2026 07:32:11 +0000
Message-ID: <b1f0c2d3-0000-4e5f-9a1b-2c3d4e5f6a7b@amt.example>
In-Reply-To: {mid}
References: {mid}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="_000_NDR_"

--_000_NDR_
Content-Type: text/plain; charset="us-ascii"

Your message to {rcpt} couldn't be delivered.
The recipient's mailbox is full and can't accept messages now.

--_000_NDR_
Content-Type: message/delivery-status

Reporting-MTA: dns;EX01.amt.example
Received-From-MTA: dns;mail.example.com
Arrival-Date: Fri, 2 Oct 2026 07:32:10 +0000

Original-Recipient: rfc822;{rcpt}
Final-Recipient: rfc822;{rcpt}
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp;554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException

--_000_NDR_
Content-Type: message/rfc822

From: Example Billing GmbH <billing@example.com>
To: {rcpt}
Subject: Invoice INV-2026-00004 from Example Billing GmbH
Message-ID: {mid}
MIME-Version: 1.0
Content-Type: text/plain

Dear customer, ...

--_000_NDR_--
"""

DELAYED = POSTFIX.replace("Action: failed", "Action: delayed").replace("Status: 5.1.1", "Status: 4.4.7")

AUTO_REPLY = """\
From: Comptabilite <compta@port.example>
To: billing@example.com
Subject: Absence du bureau
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

Je suis absent jusqu'au 12 octobre.
"""


def test_bounce_reports_mark_their_messages_bounced_once(books, smtp_server, tmp_path):
    controller, inbox = smtp_server
    assert send(books, tmp_path, env=smtp_env(controller.port), now=NOW).problems == []
    mid = {r["Address"]: r["MessageID"] for r in rows(books, "tblDeliveries") if r["Status"] == "sent"}
    folder = tmp_path / "bounces"
    folder.mkdir()
    (folder / "undelivered.eml").write_text(POSTFIX.format(rcpt="boss@hafen.example", mid=mid["boss@hafen.example"]))
    (folder / "Undeliverable INV-2026-00004.eml").write_text(
        EXCHANGE.format(rcpt="rechnung@amt.example", mid=mid["rechnung@amt.example"]))
    (folder / "delayed.eml").write_text(DELAYED.format(rcpt="compta@port.example", mid=mid["compta@port.example"]))
    (folder / "absence.eml").write_text(AUTO_REPLY)
    (folder / "elsewhere.eml").write_text(POSTFIX.format(rcpt="x@other.example", mid="<1.2.3@elsewhere.example>"))
    sent_before = len(inbox.messages)

    res = send(books, tmp_path, env=smtp_env(controller.port), now=NOW, user="clerk")
    assert res.problems == [] and res.summary["bounced"] == 2
    shown = io.StringIO()
    print_send_summary(res.summary, shown)
    assert "bounced             2" in shown.getvalue()
    bounced = {r["Address"]: r for r in rows(books, "tblDeliveries") if r["Status"] == "bounced"}
    assert sorted(bounced) == ["boss@hafen.example", "rechnung@amt.example"]
    boss = bounced["boss@hafen.example"]
    assert (boss["DocumentNo"], boss["Channel"], boss["MessageID"], boss["User"]) == (
        "INV-2026-00001", "email", mid["boss@hafen.example"], "clerk")
    assert boss["Error"].startswith("5.1.1 550 5.1.1 <boss@hafen.example>: Recipient address rejected")
    assert bounced["rechnung@amt.example"]["Error"].startswith("5.2.2 554 5.2.2 mailbox full")
    exceptions = [r[5] for r in books.rows["tblExceptions"]]
    assert any("INV-2026-00001: the message to boss@hafen.example bounced" in e and "customer C001" in e
               for e in exceptions)
    assert any("absence.eml is not a delivery status notification" in e for e in exceptions)
    assert any("<1.2.3@elsewhere.example>" in e and "not on the Deliveries tab" in e for e in exceptions)
    assert not any("compta@port.example" in e for e in exceptions)          # delayed: still being tried
    assert len(inbox.messages) == sent_before          # a bounced address is not mailed again by itself
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["undelivered.eml", "Undeliverable INV-2026-00004.eml", "delayed.eml", "absence.eml", "elsewhere.eml"])

    before = len(books.rows["tblDeliveries"])
    again = send(books, tmp_path, env=smtp_env(controller.port), now=NOW)
    assert again.summary["bounced"] == 0 and len(books.rows["tblDeliveries"]) == before      # once only
