"""Page tests: the real app served on a free localhost port (its own database, the
suite's `runtime`), driven by Playwright in Debian's headless Chromium."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"page tests need Chromium at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )


ROOT = Path(__file__).resolve().parent.parent.parent
VENDOR = ROOT / "api" / "static" / "vendor" / "bpmn-js" / "bpmn-modeler.production.min.js"


@pytest.fixture(scope="session")
def vendor():
    """bpmn-js, which ./onething builds at install; built here when pytest runs alone."""
    if not VENDOR.exists():
        import subprocess

        subprocess.run(["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=ROOT, check=True)
        subprocess.run(["node", "build-vendor.mjs"], cwd=ROOT, check=True)
    return VENDOR.parent


@pytest.fixture(scope="session")
def browser(vendor):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(app):
    """The app on 127.0.0.1:<free port>, in a thread, until the test ends."""
    from werkzeug.serving import make_server

    app.testing = False
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


class Shots:
    """Screenshots of a page at phone and desktop width."""

    def __init__(self):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def __call__(self, page, name: str) -> None:
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            page.wait_for_timeout(60)
            path = SCREENSHOTS / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            self.taken.append(path)
        page.set_viewport_size(DESKTOP)


@pytest.fixture(scope="session")
def shots():
    return Shots()


@pytest.fixture
def new_page(browser, server):
    """A fresh browser context (own storage: one person) opened on the server."""
    contexts = []

    def make(lang: str = "zh"):
        context = browser.new_context(
            viewport=DESKTOP,
            base_url=server,
            accept_downloads=True,
            locale="zh-CN" if lang == "zh" else "en-US",
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()
