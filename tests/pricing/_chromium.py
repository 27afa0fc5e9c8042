"""Headless Chromium for the report tests: what a browser lays out, checked mechanically.

`audit` loads a report page at a given window width and returns what the page looks like
to a reader, measured in the browser after the page and its images have loaded: elements
that stick out of the window (outside a scrolling box), tables without data rows, images
that did not load, cells reading ``-0``, tables that only scroll, the glossary's terms.
`screenshot` writes a full-page PNG. The binary is Debian's ``chromium`` (or
``MAASMIX_CHROMIUM``), run with `FLAGS` and a fresh profile folder; it needs no network.

Regenerate the screenshots of the documentation with::

    .venv/bin/python -m tests.pricing._chromium docs/pricing/screenshots
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

#: Flags of every run (plus ``--user-data-dir`` of a fresh temporary folder).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--allow-file-access-from-files",
)
#: Window width of the checks and screenshots (CSS pixels).
WIDTH = 1400
_TIMEOUT_S = 60

_AUDIT_JS = r"""
<script>
window.addEventListener("load", () => {
  const vw = document.documentElement.clientWidth;
  const text = el => (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 80);
  const scroller = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === "auto" || o === "scroll" || o === "hidden") return a;
    }
    return null;
  };
  const out = {
    viewport: vw,
    scroll_width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    too_wide: [], empty_tables: [], scrolled_tables: [], broken_images: [],
    negative_zero: [], images: [], tables: 0,
  };
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (scroller(el)) continue;  // inside a scrolling box: the box itself is checked
    if (r.left < -0.5 || r.right > vw + 0.5) out.too_wide.push(el.tagName + ": " + text(el));
  }
  for (const t of document.querySelectorAll("table")) {
    out.tables += 1;
    if (!t.querySelector("td")) out.empty_tables.push(text(t));
    const box = t.parentElement;
    if (box.scrollWidth > box.clientWidth + 1) out.scrolled_tables.push(text(t));
  }
  for (const img of document.images) {
    const r = img.getBoundingClientRect();
    out.images.push({src: img.getAttribute("src"), width: r.width, natural: img.naturalWidth});
    if (!img.complete || img.naturalWidth === 0) out.broken_images.push(img.getAttribute("src"));
  }
  for (const td of document.querySelectorAll("td, th")) {
    if (/(^|\s)-0([.,]0+)?(\s|$)/.test(td.textContent.trim())) out.negative_zero.push(text(td));
  }
  out.glossary = [...document.querySelectorAll("dl.glossary dt")].map(text);
  out.headings = [...document.querySelectorAll("h1, h2, h3")].map(text);
  const pre = document.createElement("pre");
  pre.id = "maasmix-audit";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""
_RESULT = re.compile(r'<pre id="maasmix-audit">(.*?)</pre>', re.S)


def binary() -> str | None:
    """Path of the Chromium binary (``MAASMIX_CHROMIUM``, else ``chromium`` or
    ``chromium-browser`` on the PATH), None when there is none."""
    named = os.environ.get("MAASMIX_CHROMIUM")
    if named:
        return named
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(args: list[str], exe: str) -> str:
    with tempfile.TemporaryDirectory(prefix="maasmix-chromium-") as profile:
        done = subprocess.run(
            [exe, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def audit(page: Path, *, width: int = WIDTH, exe: str | None = None) -> dict[str, Any]:
    """Load ``page`` (an HTML file) in a ``width`` px wide window; the measurements (see
    the module doc). The page is copied beside itself with the measuring script added,
    so that its images load as they would; the copy is removed."""
    exe = exe or binary()
    if exe is None:
        raise RuntimeError("no chromium binary")
    probe = page.with_name(f"_audit_{page.name}")
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", _AUDIT_JS + "</body>"),
        encoding="utf-8",
    )
    try:
        dom = _run(
            [
                f"--window-size={width},900",
                "--virtual-time-budget=10000",
                "--dump-dom",
                probe.resolve().as_uri(),
            ],
            exe,
        )
    finally:
        probe.unlink()
    found = _RESULT.search(dom)
    if found is None:
        raise RuntimeError(f"the audit script did not run on {page}: {dom[-500:]}")
    result: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return result


def screenshot(
    page: Path, png: Path, *, width: int = WIDTH, height: int | None = None, exe: str | None = None
) -> None:
    """Write a ``width`` px wide PNG of ``page``, the whole page unless ``height``."""
    exe = exe or binary()
    if exe is None:
        raise RuntimeError("no chromium binary")
    if height is None:
        height = int(audit(page, width=width, exe=exe)["height"]) + 20
    _run(
        [
            f"--window-size={width},{height}",
            "--virtual-time-budget=10000",
            f"--screenshot={png.resolve()}",
            page.resolve().as_uri(),
        ],
        exe,
    )


def _main(out: Path) -> None:
    """Write every shipped example's reports (`tests.pricing._reports`) into a
    temporary folder and their full-page screenshots into ``out``: half size (700 px wide),
    256 colours, so that they stay small."""
    from PIL import Image

    from tests.pricing._reports import shipped_reports

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="maasmix-reports-") as tmp:
        for name, index in shipped_reports(Path(tmp)).items():
            full = Path(tmp) / f"{name}.png"
            screenshot(index, full)
            with Image.open(full) as image:
                small = image.convert("RGB").resize(
                    (image.width // 2, image.height // 2), Image.Resampling.LANCZOS
                )
            small.quantize(256, method=Image.Quantize.FASTOCTREE).save(
                out / f"{name}.png", optimize=True
            )
            print(out / f"{name}.png", f"{small.width} x {small.height} px")


if __name__ == "__main__":
    _main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/pricing/screenshots"))
