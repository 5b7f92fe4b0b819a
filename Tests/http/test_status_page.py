"""The status page in headless Chromium: after its script ran, the DOM has the real peers' names
in the peer table and points on every chart. A screenshot is saved as a test artifact."""

import os
import re
import subprocess

from relaywire import Bystander

from conftest import AUTHKEY, artifact_dir, need_tool

# Root cannot use Chromium's sandbox; the page is our own, served on loopback.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                  "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--metrics-recording-only", "--mute-audio"]


def chromium(binary, profile, *arguments, timeout=90):
    command = [binary] + CHROMIUM_FLAGS + ["--user-data-dir=%s" % profile] + list(arguments)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def test_the_page_renders_peers_and_charts(http_relay, tmp_path):
    browser = need_tool("CHROMIUM", "chromium", "chromium-browser")
    relay = http_relay()
    pairs = [Bystander(relay.relay.addr, AUTHKEY, prefix=prefix) for prefix in ("trainer", "loader")]
    try:
        dom = chromium(browser, tmp_path / "profile", "--virtual-time-budget=6000", "--dump-dom", relay.base + "/")
        assert dom.returncode == 0, dom.stderr[-3000:]
        html = dom.stdout
        assert 'data-updates="' in html, html[:3000]
        names = set(re.findall(r'<tr data-peer="([^"]+)"', html))
        assert names == {"trainer-a", "trainer-b", "loader-a", "loader-b"}, html[:5000]
        for chart in ("chart-messages", "chart-bytes", "chart-connections", "chart-auth"):
            match = re.search(r'<canvas id="%s"[^>]*data-points="(\d+)"' % chart, html)
            assert match and int(match.group(1)) >= 1, (chart, html[:3000])
        latest = re.search(r'<canvas id="chart-connections"[^>]*data-latest="(\d+)"', html)
        assert latest and int(latest.group(1)) == 4, html[:3000]
        assert 'class="state ok">live<' in html

        screenshot = os.path.join(artifact_dir(), "status-page.png")
        shot = chromium(browser, tmp_path / "profile", "--virtual-time-budget=8000", "--window-size=1280,1000",
                        "--screenshot=%s" % screenshot, relay.base + "/")
        assert shot.returncode == 0 and os.path.getsize(screenshot) > 10_000, shot.stderr[-3000:]
    finally:
        for pair in pairs:
            pair.stop()
