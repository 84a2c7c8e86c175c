"""Mail to customers: what is sent (rendered per language), and the port that sends it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pforte.contacts.service import Contact
from pforte.core.fields import Language, in_zone
from pforte.tenants.service import Tenant

if TYPE_CHECKING:
    from jinja2 import Environment


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


ACTIVATION = "activation"
REGISTRATION = "registration"
GENERIC_LINK = "generic_link"
CONSENT_CONFIRMATION = "consent_confirmation"
JOB_RECEIVED = "job_received"
JOB_COMPLETED = "job_completed"

# Times in mails, in the tenant's time zone (named after them).
_EXPIRY_FORMAT = {Language.DE: "%d.%m.%Y, %H:%M Uhr", Language.EN: "%d %b %Y, %H:%M"}

_TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    """Made once, when the first mail is rendered: jinja2 stays out of a cold start without mail."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html.j2"], default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _expires(tenant: Tenant, language: Language, at: datetime) -> str:
    return in_zone(at, tenant.time_zone, _EXPIRY_FORMAT[language])


def _render(template: str, tenant: Tenant, contact: Contact, values: dict[str, str | None]) -> OutgoingMail:
    """The mail from the tenant to the contact, from templates/<mail>.<language>.{subject,txt,html}.j2:
    plain values in the subject and text, escaped ones in HTML."""
    name = f"{template}.{contact.language}"
    env = _environment()
    context = {"tenant": tenant.name, "name": contact.name, **values}
    return OutgoingMail(
        template=name,
        to=contact.email,
        subject=env.get_template(f"{name}.subject.j2").render(context).strip(),
        text=env.get_template(f"{name}.txt.j2").render(context),
        html=env.get_template(f"{name}.html.j2").render(context),
        sender_name=tenant.name,
        sender=tenant.mail_sender,
    )


def without_secret(mail: OutgoingMail, secret: str, stand_in: str) -> OutgoingMail:
    """The mail as the mail log keeps it: the secret (a link's token) replaced, no HTML, so that
    only the recipient's mailbox holds a usable link."""
    return replace(mail, text=mail.text.replace(secret, stand_in), html="")


def activation_mail(
    tenant: Tenant, contact: Contact, link: str, expires_at: datetime, *, registered: bool = False
) -> OutgoingMail:
    """The activation mail in the contact's language, times in the tenant's time zone: an
    invitation from the tenant, or the confirmation of a registration the customer made."""
    expires = _expires(tenant, contact.language, expires_at)
    return _render(
        REGISTRATION if registered else ACTIVATION, tenant, contact, {"link": link, "expires": expires}
    )


def generic_link_mail(
    tenant: Tenant, contact: Contact, link: str, expires_at: datetime | None
) -> OutgoingMail:
    """The generic link in the contact's language, its expiry (if it has one) in the tenant's time zone."""
    expires = None if expires_at is None else _expires(tenant, contact.language, expires_at)
    return _render(GENERIC_LINK, tenant, contact, {"link": link, "expires": expires})


def consent_confirmation_mail(
    tenant: Tenant, contact: Contact, link: str, expires_at: datetime, wording: str
) -> OutgoingMail:
    """The double opt-in mail: the wording agreed to and the link that confirms it."""
    expires = _expires(tenant, contact.language, expires_at)
    return _render(
        CONSENT_CONFIRMATION, tenant, contact, {"link": link, "expires": expires, "wording": wording}
    )


def job_mail(tenant: Tenant, contact: Contact, template: str, title: str, link: str) -> OutgoingMail:
    """A job of the contact was received or completed (`JOB_RECEIVED`, `JOB_COMPLETED`)."""
    if template not in (JOB_RECEIVED, JOB_COMPLETED):
        raise ValueError(f"no job mail {template!r}")
    return _render(template, tenant, contact, {"title": title, "link": link})
