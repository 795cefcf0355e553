"""docs/screenshots is retaken when the web build changes, and only then."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import SCREENSHOT_NAMES, SCREENSHOTS, SCREENSHOTS_BUILD, web_build_digest


def test_the_build_digest_follows_what_browsers_are_served(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<div id=app></div>")
    (tmp_path / "assets" / "app.js").write_text("render()")
    (tmp_path / "assets" / "app.js.map").write_text("{}")
    before = web_build_digest(tmp_path)
    assert web_build_digest(tmp_path) == before
    (tmp_path / "assets" / "app.js.map").write_text('{"mappings": ""}')
    assert web_build_digest(tmp_path) == before
    (tmp_path / "assets" / "app.js").write_text("render(1)")
    changed = web_build_digest(tmp_path)
    assert changed != before
    (tmp_path / "assets" / "app.js").rename(tmp_path / "assets" / "main.js")
    assert web_build_digest(tmp_path) != changed


def test_every_main_screen_is_in_docs() -> None:
    assert {path.stem for path in SCREENSHOTS.glob("*.png")} == SCREENSHOT_NAMES
    assert len(SCREENSHOTS_BUILD.read_text().strip()) == 64
