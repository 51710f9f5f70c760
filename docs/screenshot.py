"""Take docs/inbox.png for the README: demo data in a throw-away database, the app on a free port, Chromium as sales.

Run from the repository root: `.venv/bin/python docs/screenshot.py` (needs /usr/bin/chromium; a CJK font such as
fonts-wqy-microhei makes the Chinese customer names legible).
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "inbox.png"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def seed(url: str) -> None:
    """Migrate, load the demo master data and start leads over the last two days (the clock is moved, not the rows)."""
    from domain import clock
    from domain.db import transaction
    from engine import deployment, runtime
    from flowdesk.demo import CUSTOMERS, process_bundle, seed_master_data, seed_users
    from flowdesk.migrate import upgrade_database

    upgrade_database(url)
    sales = runtime.Actor("sales", {"sales"})
    now = clock.now()
    with transaction() as session:
        seed_users(session)
        seed_master_data(session)
        deployment.deploy(session=session, files=process_bundle(), actor="owner")
        for n, hours in enumerate((49, 30, 26, 7, 3, 1)):
            moment = now - timedelta(hours=hours)
            clock.set_clock(lambda moment=moment: moment)  # type: ignore[misc]
            instance = runtime.start_instance(session=session, process_key="lead_to_cash", actor=sales, variables={
                "customer_code": CUSTOMERS[n % len(CUSTOMERS)][0], "lead_title": f"Lead {n + 1}", "source": "web"})
            task = runtime.next_task_for(session=session, instance_id=instance.id, actor=sales)
            if task is not None and n % 2:
                runtime.complete_task(session=session, task_id=task.id, actor=sales, data={"qualified": True})
        clock.reset_clock()
        first = runtime.next_task_for(session=session, instance_id=instance.id, actor=sales)
        if first is not None:
            runtime.claim_task(session=session, task_id=first.id, actor=sales)


def serve() -> tuple[str, object, threading.Thread]:
    """The app on a free port in a background thread."""
    import uvicorn

    from web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def photograph(base_url: str) -> None:
    """Sign in as sales and capture the group tab of the inbox."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 520}, locale="en-US")
        page.goto(f"{base_url}/login")
        page.fill("#username", "sales")
        page.fill("#password", "demo")
        page.click("form[action='/login'] button[type=submit]")
        page.goto(f"{base_url}/?tab=group")
        page.screenshot(path=str(OUTPUT))
        browser.close()


def main() -> None:
    """Seed, serve, photograph, stop."""
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/screenshot.db"
        os.environ["FLOWDESK_DATABASE_URL"] = url
        seed(url)
        base_url, server, thread = serve()
        try:
            photograph(base_url)
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(timeout=10)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
