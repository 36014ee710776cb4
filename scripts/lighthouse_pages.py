"""Lighthouse's accessibility and best-practices scores of signed-in pages.

Starts the test stack (gunicorn, sandbox server, throwaway SQLite), signs in as the demo
admin through the sign-in form in a Chromium profile (a real session cookie: the pages'
own htmx requests, such as the overview's cards, carry it, which a Cookie header given to
Lighthouse does not), then runs Lighthouse on each page with that profile.

    bash ../shared/tools/auditors.sh   # installs Lighthouse in $AUDITORS_DIR (or /tmp/auditors)
    .venv/bin/python scripts/lighthouse_pages.py [/path ...]

Prints one line a page: the two scores and any binary audit that failed.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from technowiz.sandbox.data import LONG_CONVERSATION_USER_IDS
from tests.stack import DEMO_PASSWORD, running_stack

LONG = LONG_CONVERSATION_USER_IDS[0]
PAGES = [
    "/",
    "/?card=ratings",
    "/users/",
    "/users/?preset=1",
    "/users/?preset=1&q=a",
    "/users/?preset=1-2&sort=rating",
    "/?trend=30",
    f"/users/{LONG}/conversation/",
    f"/users/{LONG}/conversation/?preset=1-2",
    f"/users/{LONG}/conversation/?start=2001-01-01&end=2001-01-02",
    "/broadcasts/",
    "/flow-runs/",
    "/catalogue/",
    "/audit/",
    "/audit/1/",
    "/audit/actions/",
    "/audit/actions/1/",
    "/team/",
    "/team/new/",
    "/team/1/",
    "/team/1/password/",
    "/accounts/settings/",
    "/accounts/password/",
]


def main() -> None:
    args = sys.argv[1:]
    # Where auditors.sh installed Lighthouse (its own default).
    auditors = os.environ.get("AUDITORS_DIR") or os.path.join(tempfile.gettempdir(), "auditors")
    chromium = shutil.which("chromium")
    with tempfile.TemporaryDirectory() as folder, running_stack() as stack:
        profile = f"{folder}/profile"
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=chromium, args=["--no-sandbox"], headless=True
            )
            page = context.new_page()
            page.goto(stack.url + "/accounts/login/")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(stack.url + "/")
            page.goto(stack.url + "/users/?preset=1")  # audit rows for /audit/1/
            context.close()
        flags = (
            f"--headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir={profile}"
        )
        for path in args or PAGES:
            out = f"{folder}/report.json"
            subprocess.run(
                [
                    "npx",
                    "lighthouse",
                    stack.url + path,
                    "--only-categories=accessibility,best-practices",
                    "--output=json",
                    f"--output-path={out}",
                    "--quiet",
                    "--disable-storage-reset",
                    f"--chrome-flags={flags}",
                ],
                cwd=auditors,
                env={**os.environ, "CHROME_PATH": chromium or ""},
                timeout=300,
                check=False,
            )
            report = json.loads(Path(out).read_text())
            scores = {name: c["score"] for name, c in report["categories"].items()}
            failed = [
                name
                for name, audit in report["audits"].items()
                if audit.get("scoreDisplayMode") == "binary" and audit.get("score") == 0
            ]
            landed = report.get("finalDisplayedUrl", "").removeprefix(stack.url)
            print(path, scores, f"(shown: {landed})", failed or "", flush=True)


if __name__ == "__main__":
    main()
