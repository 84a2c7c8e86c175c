"""Mail templates: every mail in every language renders; HTML escapes, text does not; jinja2
is imported only when a mail is rendered."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pforte.contacts.service import Contact
from pforte.core.fields import Language
from pforte.mail.messages import activation_mail, generic_link_mail
from pforte.tenants.service import Tenant

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"
AT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def tenant() -> Tenant:
    # Only what a mail reads (model_construct skips the rest and its validation).
    return Tenant.model_construct(  # type: ignore[call-arg]
        name="Druck & <Nord>", time_zone="Europe/Berlin", mail_sender="m@example.com"
    )


def contact(language: Language) -> Contact:
    return Contact.model_construct(  # type: ignore[call-arg]
        name="Ann <b>", email="ann@example.com", language=language
    )


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("registered", [False, True])
def test_activation_mails_render_plain_text_and_escaped_html(language: Language, registered: bool) -> None:
    mail = activation_mail(
        tenant(), contact(language), "https://p.example/a?t=1&u=2", AT, registered=registered
    )
    assert mail.template == f"{'registration' if registered else 'activation'}.{language}"
    assert "Druck & <Nord>" in mail.subject
    assert "\n" not in mail.subject
    assert "Ann <b>" in mail.text
    assert "https://p.example/a?t=1&u=2\n" in mail.text
    assert mail.text.endswith("Druck & <Nord>\n")
    assert "(Europe/Berlin)" in mail.text
    assert "Ann &lt;b&gt;" in mail.html
    assert "<Nord>" not in mail.html
    assert 'href="https://p.example/a?t=1&amp;u=2"' in mail.html


@pytest.mark.parametrize("language", list(Language))
def test_the_generic_link_mail_says_how_long_the_link_is_valid(language: Language) -> None:
    dated = generic_link_mail(tenant(), contact(language), "https://p.example/l", AT)
    open_ended = generic_link_mail(tenant(), contact(language), "https://p.example/l", None)
    assert "(Europe/Berlin)." in dated.text
    assert "(Europe/Berlin)" not in open_ended.text
    assert open_ended.text.count("\n\n") == dated.text.count("\n\n")


def test_jinja2_is_imported_only_when_a_mail_is_rendered() -> None:
    code = (
        "import sys; import pforte.mail.messages, pforte.activation.service, pforte.links.service; "
        "print('jinja2' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=FUNCTIONS, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
