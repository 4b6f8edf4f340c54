"""Opens one HTML document scelle wrote in Debian's headless Chromium and checks what a reader
gets: the page loads from its file URL with no console error or warning, asks for nothing but
itself (every request is routed here and any other is refused and reported), holds each
expected text in its rendered DOM, and prints on A4. Saves the A4 PDF and a full-page screenshot
and prints their paths.

Usage: check_page.py PAGE.html OUT_PREFIX [EXPECTED_TEXT ...]
Exit status: 0 all good, 1 a check failed, 2 the browser or Playwright is missing.

Playwright drives the browser (pinned in .ci/requirements.txt) with `executable_path` set to the
system Chromium: it never downloads a browser of its own.
"""

import os
import pathlib
import sys

CHROMIUM = os.environ.get("SCELLE_CHROMIUM", "/usr/bin/chromium")


def main() -> int:
    if len(sys.argv) < 3:
        print("usage: check_page.py PAGE.html OUT_PREFIX [EXPECTED_TEXT ...]", file=sys.stderr)
        return 2
    page_path = pathlib.Path(sys.argv[1]).resolve()
    out_prefix = pathlib.Path(sys.argv[2])
    expected = sys.argv[3:]
    if not os.access(CHROMIUM, os.X_OK):
        print(
            f"error: no Chromium at `{CHROMIUM}`\n"
            "hint: install Debian's browser with `apt-get install chromium` (`.ci/run` does)",
            file=sys.stderr,
        )
        return 2
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print(
            "error: the Python package `playwright` is missing\n"
            "hint: run `.ci/setup-python`, which installs the pins of `.ci/requirements.txt`",
            file=sys.stderr,
        )
        return 2

    url = page_path.as_uri()
    problems = []
    messages = []
    requests = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            # Running as root in CI needs the sandbox off; the page is our own and has no script.
            args=["--no-sandbox", "--disable-gpu"],
        )
        context = browser.new_context(java_script_enabled=True, offline=True)
        page = context.new_page()

        def route(r):
            requests.append(r.request.url)
            if r.request.url == url:
                r.continue_()
            else:
                problems.append(f"the page asked for `{r.request.url}`")
                r.abort()

        context.route("**/*", route)
        page.on(
            "console",
            lambda m: messages.append(m)
            if m.type in ("error", "warning")
            else None,
        )
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        response = page.goto(url, wait_until="load")
        if response is not None and not response.ok:
            problems.append(f"loading the page answered {response.status}")
        # Text as rendered (what a reader sees), not the source.
        text = page.inner_text("body")
        for want in expected:
            if want not in text:
                problems.append(f"`{want}` is not in the rendered page")
        if page.locator("script").count() != 0:
            problems.append("the page has a script element")
        out_prefix.parent.mkdir(parents=True, exist_ok=True)
        pdf = out_prefix.with_suffix(".pdf")
        png = out_prefix.with_suffix(".png")
        page.emulate_media(media="print")
        page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
        page.emulate_media(media="screen")
        page.screenshot(path=str(png), full_page=True)
        # Messages and loads made while printing count as much as while reading.
        for m in messages:
            problems.append(f"console {m.type}: {m.text}")
        browser.close()
    if requests != [url]:
        problems.append(f"requests made: {requests}")
    if not pdf.read_bytes().startswith(b"%PDF-"):
        problems.append(f"`{pdf}` is not a PDF")
    print(f"pdf: {pdf}")
    print(f"screenshot: {png}")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
