"""Sending mail through SES v2, as a MIME message with a plain-text and an HTML part."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from typing import TYPE_CHECKING

from pforte.mail.messages import OutgoingMail

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


class SesMailer:
    """Sends as the tenant's address where SES allows it; otherwise as the platform's address
    with the tenant's name and the tenant's address to reply to."""

    def __init__(self, client: SESV2Client, platform_sender: str) -> None:
        self._client = client
        self._platform_sender = platform_sender

    def _message(self, mail: OutgoingMail, sender: str) -> bytes:
        message = EmailMessage(policy=SMTP)
        message["From"] = str(Address(display_name=mail.sender_name, addr_spec=sender))
        message["To"] = mail.to
        if sender != mail.sender:
            message["Reply-To"] = mail.sender
        message["Subject"] = mail.subject
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message.as_bytes()

    def _send(self, mail: OutgoingMail, sender: str) -> str:
        response = self._client.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [mail.to]},
            Content={"Raw": {"Data": self._message(mail, sender)}},
        )
        return str(response["MessageId"])

    def send(self, mail: OutgoingMail) -> str:
        try:
            return self._send(mail, mail.sender)
        except self._client.exceptions.MessageRejected:
            if mail.sender == self._platform_sender:
                raise
            return self._send(mail, self._platform_sender)
