"""scripts/screenshot_summary.py: the README's picture of a close, shot by headless Chromium, blank bottom cropped."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from PIL import Image

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))
import screenshot_summary  # noqa: E402


def test_the_blank_bottom_is_cropped_to_a_margin():
    image = Image.new("RGB", (200, 1000), "white")
    image.paste((200, 0, 0), (10, 10, 190, 300))  # the page's content ends at row 300
    cropped = screenshot_summary.crop_blank_bottom(image, margin=24)
    assert cropped.size == (200, 324)
    blank = Image.new("RGB", (50, 80), "white")
    assert screenshot_summary.crop_blank_bottom(blank).size == (50, 80)  # nothing to find: unchanged


def test_without_a_close_package_it_says_what_to_do(tmp_path):
    with pytest.raises(SystemExit, match="no close-\\*/summary.html under .*make close MONTH=2025-07"):
        screenshot_summary.newest_summary(tmp_path)
    for month in ("2025-06", "2025-07"):
        (tmp_path / f"close-{month}").mkdir()
        (tmp_path / f"close-{month}" / "summary.html").write_text("<p>x</p>", encoding="utf-8")
    assert screenshot_summary.newest_summary(tmp_path) == tmp_path / "close-2025-07" / "summary.html"


@pytest.mark.skipif(not any(shutil.which(name) for name in screenshot_summary.BROWSERS),
                    reason="no Chromium here (apt-get install -y chromium)")
def test_a_page_is_shot_at_its_width_and_cropped_to_its_length(tmp_path):
    page = tmp_path / "close-2025-07" / "summary.html"
    page.parent.mkdir()
    page.write_text('<!DOCTYPE html><html lang="pt-BR"><body style="margin:0;background:#fff">'
                    '<div style="width:300px;height:400px;background:#c00"></div></body></html>', encoding="utf-8")
    out = tmp_path / "docs" / "summary.png"
    assert screenshot_summary.main(["--package", str(page.parent), "--out", str(out),
                                    "--width", "640", "--height", "1500"]) == 0
    with Image.open(out) as image:
        assert image.width == 640
        assert 400 <= image.height <= 400 + screenshot_summary.MARGIN_PX
        assert image.convert("RGB").getpixel((10, 10)) == (204, 0, 0)
        assert image.convert("RGB").getpixel((500, 10)) == (255, 255, 255)
