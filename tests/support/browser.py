"""Real Chromium through Playwright: viewports, axe-core's checks on every page shown, focus
moved by the page's script, and the text of a downloaded PDF."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from tests.support.seed import PASSWORD, PEOPLE

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# axe-core's rules for WCAG 2.1 levels A and AA.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def missing() -> str | None:
    """Say what is missing for the browser tests, or None when they can run."""
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the Python package {exc.name} is not installed (pip install -e '.[test]')"
    if shutil.which("chromium") is None:
        return "no `chromium` on PATH (Debian: apt-get install chromium fonts-noto-core)"
    return None


def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


class Checked:
    """A Playwright page that runs axe-core's WCAG 2.1 A/AA rules on every page it is shown."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.name = name
        self.checked: list[str] = []
        self.console_errors: list[str] = []
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )

    def axe(self, label: str) -> None:
        """Assert that axe-core finds no WCAG 2.1 A/AA violation on the page as it is now."""
        # Evaluated through the DevTools protocol: the site's CSP allows no inline script tag.
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE)
        result = self.page.evaluate(
            "opts => axe.run(document, opts)",
            {"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]},
        )
        found = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in result["violations"]
        ]
        assert not found, f"axe-core on {label} ({self.name}): " + " | ".join(found)
        self.checked.append(label)

    def shot(self, label: str) -> None:
        """Keep a screenshot outside the repository when CIRCUIT_SCREENSHOTS names a folder."""
        folder = os.environ.get("CIRCUIT_SCREENSHOTS")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=f"{folder}/{self.name}-{label}.png", full_page=True)


AXE = axe_source() if missing() is None else ""


def wait_for_focus(page: Any, css_class: str) -> None:
    """Wait until the focused element has this class (fails if it never gets there)."""
    page.wait_for_function(
        "cls => document.activeElement && document.activeElement.classList.contains(cls)",
        arg=css_class,
        timeout=10_000,
    )


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def log_in(c: Checked, who: str, *, check_page: bool = False) -> None:
    """Log in on the web as one of the seeded people (axe-core checks the form if asked)."""
    page = c.page
    page.goto("/autentificare")
    if check_page:
        c.axe("autentificare")
    page.get_by_label("Adresa de e-mail").fill(PEOPLE[who][0])
    page.get_by_label("Parola").fill(PASSWORD)
    page.get_by_role("button", name="Intră în cont").click()
    page.wait_for_load_state()
