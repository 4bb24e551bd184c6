"""Real Chromium against the app served on a loopback port: skipped, saying why, without it."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

REQUIRE = os.environ.get("CIRCUIT_REQUIRE_BROWSER") == "1"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# axe-core's rules for WCAG 2.1 levels A and AA.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _missing() -> str | None:
    """Say what is missing for the browser tests, or None when they can run."""
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the Python package {exc.name} is not installed (pip install -e '.[test]')"
    if shutil.which("chromium") is None:
        return "no `chromium` on PATH (Debian: apt-get install chromium fonts-noto-core)"
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Launch Debian's Chromium through Playwright once for the session."""
    why = _missing()
    if why:
        if REQUIRE:
            pytest.fail(f"CIRCUIT_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(f"browser tests skipped: {why}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    """Serve the test app with a real HTTP server on 127.0.0.1 in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


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


AXE = axe_source() if _missing() is None else ""


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone-390", "desktop-1280"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def new_page(chromium: Any, live_url: str, viewport: dict[str, int]) -> Iterator[Any]:
    """Return a function giving a fresh, checked page (own cookies) at the test's viewport."""
    contexts: list[Any] = []
    name = f"{viewport['width']}"

    def make(who: str = "citizen") -> Checked:
        context = chromium.new_context(
            viewport=viewport,
            base_url=live_url,
            accept_downloads=True,
            locale="ro-RO",
            is_mobile=viewport is PHONE,
            has_touch=viewport is PHONE,
        )
        contexts.append(context)
        return Checked(context.new_page(), f"{name}-{who}")

    yield make
    for context in contexts:
        context.close()
