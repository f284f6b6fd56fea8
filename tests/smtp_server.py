"""A real SMTP server for the tests (aiosmtpd on a free loopback port) that keeps what it receives.

Tests point the app's MAIL_SERVER/MAIL_PORT at it, read the messages back (`messages`, `wait_for`), and can make it
refuse or fail on purpose (`fail_with`: an SMTP status such as "451 4.3.0 try later" or "550 5.1.1 no such user";
`drop_connection`: close mid-message) or stop and start it again (`stop`, `start`) to test outages.
"""
from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, server: "SMTPServer") -> None:
        self.server = server

    async def handle_DATA(self, protocol, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.server.drop_connection:
            protocol.transport.close()  # mid-message: the client sees the connection go away, no reply
            return "421 4.3.0 closing"
        if self.server.fail_with:
            return self.server.fail_with
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SMTPServer:
    """One aiosmtpd controller on 127.0.0.1; start()/stop() may be called repeatedly (same port)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self.fail_with: str | None = None
        self.drop_connection = False
        self._controller: Controller | None = None

    def start(self) -> "SMTPServer":
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        """Messages received for one recipient address."""
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived (or fail the test)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


def body_text(message: EmailMessage) -> str:
    """The plain-text part of a received message."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""
