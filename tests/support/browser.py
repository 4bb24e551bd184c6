"""Waiting for the page's script to move focus, as a keyboard user would notice it."""

from __future__ import annotations

from typing import Any


def wait_for_focus(page: Any, css_class: str) -> None:
    """Wait until the focused element has this class (fails if it never gets there)."""
    page.wait_for_function(
        "cls => document.activeElement && document.activeElement.classList.contains(cls)",
        arg=css_class,
        timeout=10_000,
    )
