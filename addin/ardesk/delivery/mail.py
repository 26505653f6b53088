"""E-mail: messages from the mail templates, one SMTP connection per batch, .eml and Outlook drafts.

Subject and body come from ``mail-KIND.txt`` in the templates folder: a first
line ``Subject: ...``, a blank line, the body; ``${name}`` placeholders are
filled from the document (Python's ``string.Template``: text substitution,
nothing that runs).  A message counts as sent only when the server accepted
it for that recipient.
"""
from __future__ import annotations

import base64
import io
import re
import smtplib
import ssl
import string
import uuid
from dataclasses import dataclass
from email.generator import BytesGenerator
from functools import cached_property
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..documents.settings import Smtp

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class MailError(OSError):
    """The server could not be reached or refused the login: nothing was sent."""


def addresses(field: str) -> list[str]:
    """The billing addresses in a Customers Email cell (separated by ; or ,)."""
    return [a.strip() for a in re.split(r"[;,]", field or "") if a.strip()]


def valid_address(address: str) -> bool:
    if not _EMAIL.match(address):
        return False
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        return False
    return True


@dataclass(frozen=True)
class Outgoing:
    """One message: its headers, text body and attachments ((file name, bytes, MIME type))."""
    document: str
    kind: str
    sender: str
    recipient: str
    headers: tuple[tuple[str, str], ...]
    body: str
    attachments: tuple[tuple[str, bytes, str], ...]

    @property
    def message_id(self) -> str:
        return dict(self.headers)["Message-ID"]

    @cached_property
    def message(self) -> EmailMessage:
        """The message as an :class:`~email.message.EmailMessage` (for drafts and SMTPUTF8)."""
        return self._compose([data for _, data, _ in self.attachments])

    @cached_property
    def wire(self) -> bytes:
        """The message as it goes to the server (CRLF line ends), serialized once: the size check
        and the send use the same bytes.  The email package writes it with a short stand-in for
        each attachment, which is then replaced by the attachment's base64 lines: the bytes the
        package would write itself (76-character lines), without its loop over every line."""
        tokens = [_base64_lines(f"ardesk-attachment-{i}-{uuid.uuid4().hex}".encode())
                  for i in range(len(self.attachments))]
        wire = _flatten(self._compose([base64.decodebytes(t) for t in tokens]))
        if not all(wire.count(t) == 1 for t in tokens):     # not written as expected: write it all
            return _flatten(self.message)
        for token, (_, data, _) in zip(tokens, self.attachments):
            wire = wire.replace(token, _base64_lines(data), 1)
        return wire

    @property
    def size(self) -> int:
        return len(self.wire)

    def _compose(self, payloads: Sequence[bytes]) -> EmailMessage:
        msg = EmailMessage()
        for name, value in self.headers:
            msg[name] = value
        msg.set_content(self.body)
        for (name, _, mime), data in zip(self.attachments, payloads):
            maintype, _, subtype = mime.partition("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        return msg


def _flatten(msg: EmailMessage) -> bytes:
    out = io.BytesIO()
    BytesGenerator(out).flatten(msg, linesep="\r\n")
    return out.getvalue()


def _base64_lines(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def fill(template_text: str, values: dict) -> tuple[str, str]:
    """(subject, body) of a mail template; unknown placeholders are left as typed."""
    head, _, body = template_text.partition("\n\n")
    subject = head.removeprefix("Subject:").strip()
    t = lambda s: string.Template(s).safe_substitute(values)    # noqa: E731
    return t(subject), t(body)


def build(document: str, kind: str, sender: str, sender_name: str, recipient: str, subject: str, body: str,
          attachments: Sequence[tuple[str, bytes, str]], when: datetime) -> Outgoing:
    headers = (("From", str(Address(sender_name, addr_spec=sender)) if sender_name else sender),
               ("To", recipient), ("Subject", subject),
               ("Date", format_datetime(when if when.tzinfo else when.replace(tzinfo=timezone.utc))),
               ("Message-ID", make_msgid(idstring=re.sub(r"[^A-Za-z0-9.-]", "", document)[:40],
                                         domain=sender.rpartition("@")[2] or None)))
    return Outgoing(document, kind, sender, recipient, headers, body, tuple(attachments))


def send_batch(smtp: Smtp, messages: Iterable[Outgoing], timeout: float = 30
               ) -> Iterator[tuple[Outgoing, str | None]]:
    """Send over one connection, yielding (message, None) as the server accepts each, else (message, error).

    Connects when the first result is asked for and raises :class:`MailError`, before taking any
    message from ``messages``, when the server cannot be reached or refuses the login (nothing sent).
    After the connection dropped, the remaining messages come back as not tried.
    """
    conn = _connect(smtp, timeout)
    dropped = ""
    try:
        for m in messages:
            if dropped:
                yield m, f"not tried: the connection dropped ({dropped})"
                continue
            try:
                if (m.sender + m.recipient).isascii():
                    refused = conn.sendmail(m.sender, [m.recipient], m.wire)
                else:                                       # SMTPUTF8: smtplib serializes it as it needs
                    refused = conn.send_message(m.message)
                yield m, (f"refused: {refused}" if refused else None)
            except smtplib.SMTPServerDisconnected as exc:
                dropped = str(exc) or "server disconnected"
                yield m, f"server disconnected: {exc}"
            except (smtplib.SMTPException, OSError) as exc:
                yield m, str(exc)
    finally:
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            pass


def _connect(smtp: Smtp, timeout: float) -> smtplib.SMTP:
    if not smtp.host:
        raise MailError("no SMTP server: fill SMTP server on Settings or set ARDESK_SMTP_HOST")
    try:
        if smtp.security == "ssl":
            conn = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=ssl.create_default_context())
        else:
            conn = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
            if smtp.security == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if smtp.user:
            if smtp.password is None:
                raise MailError(f"SMTP user {smtp.user!r} needs a password: set ARDESK_SMTP_PASSWORD "
                                "or store it in the OS keyring (service ardesk-smtp)")
            conn.login(smtp.user, smtp.password)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"SMTP server {smtp.host}:{smtp.port} refused the login of {smtp.user!r}: "
                        f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}") from None
    except (OSError, smtplib.SMTPException) as exc:
        if isinstance(exc, MailError):
            raise
        raise MailError(f"SMTP server {smtp.host}:{smtp.port} cannot be reached: {exc}") from None
    return conn


def password_from_keyring(user: str) -> str | None:
    """The SMTP password from the OS keyring (when the keyring package is installed)."""
    try:
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password("ardesk-smtp", user)
    except Exception:                 # a keyring without a backend: no password from it
        return None


def write_eml(folder: Path, m: Outgoing) -> Path:
    """A draft a clerk opens and sends from their mail program (``X-Unsent: 1``)."""
    folder.mkdir(parents=True, exist_ok=True)
    msg = m.message
    if "X-Unsent" not in msg:
        msg["X-Unsent"] = "1"
    safe = re.sub(r"[^A-Za-z0-9.@_-]", "_", f"{m.document}-{m.recipient}")
    path = folder / f"{safe}.eml"
    path.write_bytes(msg.as_bytes())
    return path


def outlook_draft(m: Outgoing) -> None:
    """A draft in classic Outlook on Windows (through its COM object; pywin32 must be installed)."""
    try:
        import win32com.client      # type: ignore[import-not-found]
    except ImportError:
        raise MailError("Outlook drafts need classic Outlook on Windows with pywin32; use MailMode eml") from None
    import tempfile
    outlook = win32com.client.Dispatch("Outlook.Application")
    item = outlook.CreateItem(0)
    item.To = m.recipient
    item.Subject = m.message["Subject"]
    item.Body = m.message.get_body(("plain",)).get_content()
    with tempfile.TemporaryDirectory() as tmp:
        for part in m.message.iter_attachments():
            p = Path(tmp) / part.get_filename()
            p.write_bytes(part.get_content())
            item.Attachments.Add(str(p))
        item.Save()
