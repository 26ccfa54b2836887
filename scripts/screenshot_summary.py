"""Screenshot a close package's summary.html with headless Chromium: the README's picture of a close.

    .venv/bin/python scripts/screenshot_summary.py                     # newest close under $PGB_REPORTS_DIR
    .venv/bin/python scripts/screenshot_summary.py --package reports/close-2025-07 --out docs/close-summary.png

The page is the real one the signers open, rendered by a browser, not a
separate drawing. Chromium (Debian: `apt-get install -y chromium`) shoots a
tall window; the blank space under the page is then cropped off (Pillow, a
dependency of matplotlib), so the picture is as long as the page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "docs" / "close-summary.png"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MARGIN_PX = 24  # white kept under the page's last line


def find_browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit(f"screenshot_summary: no headless browser found ({', '.join(BROWSERS)}): "
                     "install one, e.g. apt-get install -y chromium")


def newest_summary(reports_dir: Path) -> Path:
    packages = sorted(reports_dir.glob("close-*/summary.html"))
    if not packages:
        raise SystemExit(f"screenshot_summary: no close-*/summary.html under {reports_dir}: close a month first "
                         "(make close MONTH=2025-07) or pass --package")
    return packages[-1]


def crop_blank_bottom(image: Image.Image, margin: int = MARGIN_PX) -> Image.Image:
    """Cut the rows under the page's content that are all the colour of the bottom-left pixel."""
    rgb = image.convert("RGB")
    background = Image.new("RGB", rgb.size, rgb.getpixel((0, rgb.height - 1)))
    content = ImageChops.difference(rgb, background).getbbox()
    if content is None:
        return image
    return image.crop((0, 0, image.width, min(image.height, content[3] + margin)))


def screenshot(page: Path, out: Path, width: int, height: int, browser: str) -> Path:
    """Render `page` at `width` x `height` CSS pixels, crop the blank bottom, write a PNG to `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "raw.png"
        command = [
            browser, "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--force-device-scale-factor=1", f"--user-data-dir={scratch}/profile",
            f"--window-size={width},{height}", f"--screenshot={raw}", page.resolve().as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to run its sandbox as root (containers)
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0 or not raw.exists():
            raise SystemExit(f"screenshot_summary: {browser} failed ({result.returncode}):\n{result.stderr[-2000:]}")
        with Image.open(raw) as image:
            crop_blank_bottom(image).save(out, optimize=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--package", type=Path, help="a close package folder (with summary.html)")
    source.add_argument("--html", type=Path, help="any HTML page to shoot instead")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"PNG to write (default {DEFAULT_OUT})")
    parser.add_argument("--width", type=int, default=1100, help="window width in pixels (default 1100)")
    parser.add_argument("--height", type=int, default=4000,
                        help="window height in pixels before cropping (default 4000; longer pages are cut)")
    arguments = parser.parse_args(argv)
    if arguments.html:
        page = arguments.html
    elif arguments.package:
        page = arguments.package / "summary.html"
    else:
        reports = Path(os.environ.get("PGB_REPORTS_DIR") or "reports")
        page = newest_summary(reports if reports.is_absolute() else REPO_ROOT / reports)
    if not page.is_file():
        raise SystemExit(f"screenshot_summary: {page} does not exist")
    written = screenshot(page, arguments.out, arguments.width, arguments.height, find_browser())
    with Image.open(written) as image:
        print(f"{written}: {image.width} x {image.height} px, from {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
