"""Fixtures of the people tests: mail from the circuit, caught by a loopback SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.citizens import Inbox, smtp_mailbox


@pytest.fixture
def mailbox(circuit: Any) -> Iterator[Inbox]:
    """The circuit's mail goes through a real SMTP server on loopback, into this inbox."""
    yield from smtp_mailbox(circuit)
