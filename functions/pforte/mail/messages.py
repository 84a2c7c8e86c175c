"""Mail to customers: what is sent (rendered per language), and the port that sends it."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from string import Template
from typing import Protocol
from zoneinfo import ZoneInfo

from pforte.contacts.service import Contact
from pforte.core.fields import Language, in_zone
from pforte.tenants.service import Tenant


@dataclass(frozen=True)
class OutgoingMail:
    template: str
    to: str
    subject: str
    text: str
    html: str
    sender_name: str
    sender: str  # the tenant's address; the mailer falls back to the platform's if SES refuses it


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Hand the mail to the mail service; returns its message id."""


@dataclass(frozen=True)
class _Wording:
    subject: str
    text: str
    html: str
    expiry_format: str


ACTIVATION = "activation"

# $-placeholders are filled with escaped values in HTML and plain ones in text.
_ACTIVATION: dict[Language, _Wording] = {
    Language.DE: _Wording(
        subject="Aktivieren Sie Ihr Konto bei $tenant",
        text=(
            "Guten Tag $name,\n\n"
            "$tenant hat ein Konto für Sie im Kundenportal eingerichtet. Über diesen Link legen Sie\n"
            "Ihr Passwort fest und aktivieren das Konto:\n\n$link\n\n"
            "Der Link gilt bis $expires und nur einmal. Haben Sie kein Konto erwartet, können Sie\n"
            "diese Nachricht ignorieren.\n\nIhr Team von $tenant\n"
        ),
        html=(
            "<p>Guten Tag $name,</p>"
            "<p>$tenant hat ein Konto für Sie im Kundenportal eingerichtet. Über diesen Link legen Sie "
            "Ihr Passwort fest und aktivieren das Konto:</p>"
            '<p><a href="$link">Konto aktivieren</a></p>'
            "<p>Der Link gilt bis $expires und nur einmal. Haben Sie kein Konto erwartet, können Sie "
            "diese Nachricht ignorieren.</p><p>Ihr Team von $tenant</p>"
        ),
        expiry_format="%d.%m.%Y, %H:%M Uhr",
    ),
    Language.EN: _Wording(
        subject="Activate your account with $tenant",
        text=(
            "Hello $name,\n\n"
            "$tenant has set up an account for you on its customer portal. Use this link to choose\n"
            "your password and activate the account:\n\n$link\n\n"
            "The link is valid until $expires and works once. If you did not expect an account, you\n"
            "can ignore this message.\n\nYour team at $tenant\n"
        ),
        html=(
            "<p>Hello $name,</p>"
            "<p>$tenant has set up an account for you on its customer portal. Use this link to choose "
            "your password and activate the account:</p>"
            '<p><a href="$link">Activate your account</a></p>'
            "<p>The link is valid until $expires and works once. If you did not expect an account, you "
            "can ignore this message.</p><p>Your team at $tenant</p>"
        ),
        expiry_format="%d %b %Y, %H:%M",
    ),
}


REGISTRATION = "registration"

_REGISTRATION: dict[Language, _Wording] = {
    Language.DE: _Wording(
        subject="Bestätigen Sie Ihre Registrierung bei $tenant",
        text=(
            "Guten Tag $name,\n\n"
            "mit dieser Adresse wurde ein Konto im Kundenportal von $tenant registriert. Waren Sie das,\n"
            "bestätigen und aktivieren Sie das Konto über diesen Link:\n\n$link\n\n"
            "Der Link gilt bis $expires und nur einmal. Haben Sie sich nicht registriert, ignorieren Sie\n"
            "diese Nachricht: Ohne den Link geschieht nichts.\n\nIhr Team von $tenant\n"
        ),
        html=(
            "<p>Guten Tag $name,</p>"
            "<p>mit dieser Adresse wurde ein Konto im Kundenportal von $tenant registriert. Waren Sie das, "
            "bestätigen und aktivieren Sie das Konto über diesen Link:</p>"
            '<p><a href="$link">Registrierung bestätigen</a></p>'
            "<p>Der Link gilt bis $expires und nur einmal. Haben Sie sich nicht registriert, ignorieren Sie "
            "diese Nachricht: Ohne den Link geschieht nichts.</p><p>Ihr Team von $tenant</p>"
        ),
        expiry_format="%d.%m.%Y, %H:%M Uhr",
    ),
    Language.EN: _Wording(
        subject="Confirm your registration with $tenant",
        text=(
            "Hello $name,\n\n"
            "an account on $tenant's customer portal was registered with this address. If that was you,\n"
            "confirm and activate the account with this link:\n\n$link\n\n"
            "The link is valid until $expires and works once. If you did not register, ignore this\n"
            "message: nothing happens without the link.\n\nYour team at $tenant\n"
        ),
        html=(
            "<p>Hello $name,</p>"
            "<p>an account on $tenant's customer portal was registered with this address. If that was you, "
            "confirm and activate the account with this link:</p>"
            '<p><a href="$link">Confirm your registration</a></p>'
            "<p>The link is valid until $expires and works once. If you did not register, ignore this "
            "message: nothing happens without the link.</p><p>Your team at $tenant</p>"
        ),
        expiry_format="%d %b %Y, %H:%M",
    ),
}


def activation_mail(
    tenant: Tenant, contact: Contact, link: str, expires_at: datetime, *, registered: bool = False
) -> OutgoingMail:
    """The activation mail in the contact's language, times in the tenant's time zone: an
    invitation from the tenant, or the confirmation of a registration the customer made."""
    wording = (_REGISTRATION if registered else _ACTIVATION)[contact.language]
    local = expires_at.astimezone(ZoneInfo(tenant.time_zone))
    values = {
        "tenant": tenant.name,
        "name": contact.name,
        "link": link,
        "expires": f"{local.strftime(wording.expiry_format)} ({tenant.time_zone})",
    }
    return _render(REGISTRATION if registered else ACTIVATION, wording, tenant, contact, values)


def _render(
    template: str, wording: _Wording, tenant: Tenant, contact: Contact, values: dict[str, str]
) -> OutgoingMail:
    """The mail from the tenant to the contact: plain values in text, escaped ones in HTML."""
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
    return OutgoingMail(
        template=f"{template}.{contact.language}",
        to=contact.email,
        subject=Template(wording.subject).substitute(values),
        text=Template(wording.text).substitute(values),
        html=Template(wording.html).substitute(escaped),
        sender_name=tenant.name,
        sender=tenant.mail_sender,
    )


GENERIC_LINK = "generic_link"

_GENERIC_LINK: dict[Language, _Wording] = {
    Language.DE: _Wording(
        subject="Ihr Link für Aufträge an $tenant",
        text=(
            "Guten Tag $name,\n\n"
            "über diesen Link können Sie $tenant Aufträge mit Ihren Dateien senden, ohne Konto:\n\n"
            "$link\n\n$validity\n\nIhr Team von $tenant\n"
        ),
        html=(
            "<p>Guten Tag $name,</p>"
            "<p>über diesen Link können Sie $tenant Aufträge mit Ihren Dateien senden, ohne Konto:</p>"
            '<p><a href="$link">Auftrag senden</a></p><p>$validity</p><p>Ihr Team von $tenant</p>'
        ),
        expiry_format="%d.%m.%Y, %H:%M Uhr",
    ),
    Language.EN: _Wording(
        subject="Your link for sending jobs to $tenant",
        text=(
            "Hello $name,\n\n"
            "with this link you can send jobs with your files to $tenant, without an account:\n\n"
            "$link\n\n$validity\n\nYour team at $tenant\n"
        ),
        html=(
            "<p>Hello $name,</p>"
            "<p>with this link you can send jobs with your files to $tenant, without an account:</p>"
            '<p><a href="$link">Send a job</a></p><p>$validity</p><p>Your team at $tenant</p>'
        ),
        expiry_format="%d %b %Y, %H:%M",
    ),
}
_VALIDITY = {
    Language.DE: ("Der Link gilt bis $expires.", "Der Link gilt bis auf Weiteres."),
    Language.EN: ("The link is valid until $expires.", "The link is valid until further notice."),
}


def generic_link_mail(
    tenant: Tenant, contact: Contact, link: str, expires_at: datetime | None
) -> OutgoingMail:
    """The generic link in the contact's language, its expiry in the tenant's time zone."""
    wording = _GENERIC_LINK[contact.language]
    until, open_ended = _VALIDITY[contact.language]
    validity = open_ended
    if expires_at is not None:
        validity = Template(until).substitute(
            expires=in_zone(expires_at, tenant.time_zone, wording.expiry_format)
        )
    values = {"tenant": tenant.name, "name": contact.name, "link": link, "validity": validity}
    return _render(GENERIC_LINK, wording, tenant, contact, values)
