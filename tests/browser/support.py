"""Helpers for the browser tests: screenshots and axe-core accessibility checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

try:  # `expect` for every browser test module
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (fails with CI=true)
    expect = None

HERE = Path(__file__).resolve().parent
AXE = HERE / "vendor" / "axe-core-4.14.1.min.js"
SCREENSHOTS = HERE.parent.parent / "test-artifacts" / "screenshots"  # git-ignored
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def screenshot(page, name: str) -> Path:
    """Writes the whole page to test-artifacts/screenshots/<name>-<lang>-<width>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lang = page.locator("html").get_attribute("lang")
    path = SCREENSHOTS / f"{name}-{lang}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the current page.

    axe is injected by the test (not a page asset); `evaluate` awaits the promise that
    `axe.run` returns.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )


def format_violations(where: str, violations: list[dict]) -> str:
    lines = [f"{where}: {len(violations)} axe violation(s)"]
    for violation in violations:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:10]:
            lines.append(f"    - {json.dumps(node['target'], ensure_ascii=False)}")
            lines.append(f"      {_one_line(node['html'])[:300]}")
            lines.append(f"      {_one_line(node['summary'] or '')[:500]}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    … and {len(violation['nodes']) - 10} more element(s)")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def watch_csp(page) -> list[str]:
    """A list that fills with the Content-Security-Policy violations Chromium reports on
    `page` from now on (console errors "Refused to …"), for a test to assert empty."""
    violations: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return violations
