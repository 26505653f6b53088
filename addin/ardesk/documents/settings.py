"""The Settings a document and its delivery need: letterhead, envelope, folders, SMTP.

Read from the workbook's named settings once per run; every bad value is a
problem naming the setting and the value as typed.  The SMTP password is never
a setting: it comes from ``ARDESK_SMTP_PASSWORD`` or the OS keyring.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping

from .. import schema
from ..core.model import Problem

ENVELOPES = ("din5008b", "us10")
STATEMENT_TYPES = ("open-item", "balance-forward", "activity")
SECURITY = ("none", "starttls", "ssl")
MAIL_MODES = ("send", "eml", "outlook")
EINVOICE_RULES = ("values", "full")
# the templates a wheel carries (package data), else the checkout's workbooks/templates/ (see setup.py)
_PACKAGED = Path(__file__).resolve().parent / "templates"
SHIPPED_TEMPLATES = (_PACKAGED if (_PACKAGED / "document.typ").is_file()
                     else Path(__file__).resolve().parents[3] / "workbooks" / "templates")


@dataclass(frozen=True)
class Letterhead:
    name: str
    street: str
    postcode: str
    city: str
    country: str
    email: str
    vat_id: str
    registration: str
    iban: str
    bic: str
    logo: str            # a file path, or "" for none
    footer: str


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    security: str
    user: str
    password: str | None = None

    def __repr__(self) -> str:          # never print the password
        return f"Smtp(host={self.host!r}, port={self.port}, security={self.security!r}, user={self.user!r})"


@dataclass(frozen=True)
class DocumentSettings:
    letterhead: Letterhead
    envelope: str = "din5008b"
    statement_type: str = "open-item"
    templates: Path = SHIPPED_TEMPLATES
    documents: Path | None = Path("documents")      # None: blank or relative, and the workbook has no folder here
    smtp: Smtp = Smtp("", 587, "starttls", "")
    mail_mode: str = "send"
    attachment_limit: int = 10 * 1024 * 1024          # bytes
    einvoice_rules: str = "values"                    # "full": every document through the whole CEN rule set
    bounces: Path | None = Path("bounces")


def _text(raw: Mapping[str, Any], name: str) -> str:
    v = raw.get(name)
    if v is None:
        default = schema.SETTINGS_BY_NAME[name].default
        return "" if default is None else str(default)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def read_document_settings(raw: Mapping[str, Any], base: Path | None = None,
                           env: Mapping[str, str] | None = None) -> tuple[DocumentSettings, list[Problem]]:
    """Document settings from the raw named values; relative folders and files are taken from ``base``,
    the workbook's folder.  Without one (a workbook xlwings Server or Lite was sent, not its file) a
    relative logo or templates folder is a problem, and a blank or relative Documents or Bounce folder
    is None (:func:`ardesk.delivery.send.send` refuses it): nothing stands in for the workbook's
    folder, the working folder least of all."""
    env = os.environ if env is None else env
    problems: list[Problem] = []

    def choice(name: str, options: tuple[str, ...]) -> str:
        v = _text(raw, name).lower()
        if v not in options:
            label = schema.SETTINGS_BY_NAME[name].label
            problems.append(Problem(f"setting {label} ({name}) {v!r}: use one of {', '.join(options)}",
                                    "Settings", None, name, v, "documents"))
            return options[0]
        return v

    def folder(name: str, refuse: bool = True) -> str:
        """The path named on Settings, taken from ``base`` when relative; "" when blank, or relative
        without a base (a problem where ``refuse``)."""
        v = _text(raw, name)
        path = Path(os.path.expandvars(os.path.expanduser(v)))
        if not v or path.is_absolute():
            return str(path) if v else v
        if base is None:
            if not refuse:
                return ""
            label = schema.SETTINGS_BY_NAME[name].label
            problems.append(Problem(f"setting {label} ({name}) is the relative path {v!r}, and this workbook has "
                                    "no folder here to take it from: give a full path", "Settings", None, name, v,
                                    "documents"))
            return ""
        return str(base / path)

    logo = folder("CompanyLogo")
    if logo and not Path(logo).is_file():
        problems.append(Problem(f"logo image {logo} does not exist", "Settings", None, "CompanyLogo",
                                _text(raw, "CompanyLogo"), "documents"))
        logo = ""
    lh = Letterhead(_text(raw, "CompanyName"), _text(raw, "CompanyAddress"), _text(raw, "CompanyPostalCode"),
                    _text(raw, "CompanyCity"), _text(raw, "CompanyCountry").upper(), _text(raw, "CompanyEmail"),
                    _text(raw, "CompanyVATID"), _text(raw, "CompanyRegistration"),
                    _text(raw, "CompanyIBAN").replace(" ", "").upper(), _text(raw, "CompanyBIC").upper(),
                    logo, _text(raw, "FooterText"))
    templates_text = folder("TemplatesFolder")
    templates = Path(templates_text) if templates_text else SHIPPED_TEMPLATES
    if templates_text and not (templates / "document.typ").is_file():
        problems.append(Problem(f"templates folder {templates} has no document.typ", "Settings", None,
                                "TemplatesFolder", _text(raw, "TemplatesFolder"), "documents"))
        templates = SHIPPED_TEMPLATES
    port_text = env.get("ARDESK_SMTP_PORT") or _text(raw, "SmtpPort")
    try:
        port = int(port_text)
    except ValueError:
        problems.append(Problem(f"SMTP port {port_text!r} is not a whole number", "Settings", None, "SmtpPort",
                                port_text, "send"))
        port = 587
    security = (env.get("ARDESK_SMTP_SECURITY") or "").lower() or choice("SmtpSecurity", SECURITY)
    if security not in SECURITY:
        problems.append(Problem(f"ARDESK_SMTP_SECURITY {security!r}: use one of {', '.join(SECURITY)}",
                                "", None, "", security, "send"))
        security = "starttls"
    smtp = Smtp(env.get("ARDESK_SMTP_HOST") or _text(raw, "SmtpHost"), port, security,
                env.get("ARDESK_SMTP_USER") or _text(raw, "SmtpUser"), env.get("ARDESK_SMTP_PASSWORD"))
    limit_text = _text(raw, "AttachmentLimitMB")
    try:
        limit = int(Decimal(limit_text) * 1024 * 1024)
    except InvalidOperation:
        problems.append(Problem(f"attachment limit {limit_text!r} is not a number of MB", "Settings", None,
                                "AttachmentLimitMB", limit_text, "send"))
        limit = 10 * 1024 * 1024

    def beside(name: str, default: str) -> Path | None:
        """A folder only sending uses (blank: ``default`` beside the workbook); None where it would be
        taken from a folder the workbook has not got here, which the send then refuses."""
        if path := folder(name, refuse=False):
            return Path(path)
        return base / default if base is not None else None

    docs, bounces = beside("DocumentsFolder", "documents"), beside("BounceFolder", "bounces")
    return DocumentSettings(lh, choice("EnvelopeLayout", ENVELOPES), choice("StatementType", STATEMENT_TYPES),
                            templates, docs, smtp, choice("MailMode", MAIL_MODES), limit,
                            choice("EInvoiceRules", EINVOICE_RULES), bounces), problems
