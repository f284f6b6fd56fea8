"""The test SMTP server really speaks SMTP: the app's mail path delivers to it, and it can refuse on purpose."""
import smtplib

import pytest

from webapp import mail
from tests.smtp_server import body_text


def test_app_mail_reaches_the_test_smtp_server(smtp_app, smtp_server):
    with smtp_app.app_context():
        mail.send(smtp_app, mail.Mail(to="anna@example.org", subject="Hello", body="A body line"))
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "anna@example.org" and message["Subject"] == "Hello"
    assert "A body line" in body_text(message)


def test_the_server_refuses_when_told_and_is_down_when_stopped(smtp_app, smtp_server):
    smtp_server.fail_with = "451 4.3.0 try again later"
    with smtp_app.app_context(), pytest.raises(smtplib.SMTPDataError):
        mail.send(smtp_app, mail.Mail(to="anna@example.org", subject="x", body="y"))
    smtp_server.fail_with = None
    smtp_server.stop()
    with smtp_app.app_context(), pytest.raises(OSError):
        mail.send(smtp_app, mail.Mail(to="anna@example.org", subject="x", body="y"))
    assert smtp_server.messages == []
