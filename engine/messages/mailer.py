"""Sending e-mail: by SMTP when configured, else as .eml files in the data directory's outbox."""

from __future__ import annotations

import os
import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from engine.platform.config import Settings
from engine.platform.datadir import private_dir
from engine.platform.timeutil import utcnow


def outbox_dir(settings: Settings) -> Path:
    """Return where mail goes when no SMTP server is configured."""
    return settings.data_dir / "outbox"


def compose(settings: Settings, to: list[str], subject: str, body: str) -> EmailMessage:
    """Build a plain-text message from the city hall's address."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(to)
    msg.set_content(body)
    return msg


def deliver(settings: Settings, msg: EmailMessage) -> Path | None:
    """Send a message by SMTP, or write it to the outbox (returned) when SMTP is off."""
    if settings.smtp_host:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20) as smtp:
            if settings.smtp_user and settings.smtp_password:
                smtp.starttls()
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(msg)
        return None
    folder = outbox_dir(settings)
    private_dir(folder)
    path = folder / f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # links in it are secrets
    with os.fdopen(fd, "wb") as fh:
        fh.write(msg.as_bytes())
    return path


def describe(settings: Settings) -> str:
    """Say in one sentence where mail goes."""
    if settings.smtp_host:
        return (
            f"E-mailurile se trimit prin serverul SMTP {settings.smtp_host}:{settings.smtp_port}."
        )
    return (
        "Nu este configurat niciun server SMTP: e-mailurile se scriu ca fișiere .eml în "
        f"{outbox_dir(settings)}"
    )
