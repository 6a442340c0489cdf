"""CJK font discovery, registration, --font override and the STSong-Light fallback."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics

from fieldsurvey.io.errors import InputError
from fieldsurvey.reports.fonts import CID_FALLBACK, find_cjk_font, font_search_dirs

WQY = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
needs_wqy = pytest.mark.skipif(not WQY.is_file(), reason="fonts-wqy-microhei not installed")


def test_no_font_found_falls_back_to_cid(tmp_path):
    font = find_cjk_font(search_dirs=[tmp_path])
    assert font.name == CID_FALLBACK and not font.embedded and font.path is None
    assert CID_FALLBACK in pdfmetrics.getRegisteredFontNames()
    assert "not embedded" in font.description
    assert "fonts-wqy-microhei" in font.message and "--font" in font.message
    assert find_cjk_font(search_dirs=[]).name == CID_FALLBACK


def test_forced_cid_by_name():
    font = find_cjk_font("STSong-Light")
    assert not font.embedded and font.family == "STSong-Light"


def test_search_dirs_exist():
    dirs = font_search_dirs()
    assert all(d.is_dir() for d in dirs)
    assert len(set(dirs)) == len(dirs)


@needs_wqy
def test_discovers_system_font():
    font = find_cjk_font()
    assert font.embedded and font.path is not None
    assert font.name in pdfmetrics.getRegisteredFontNames()
    assert pdfmetrics.stringWidth("社区", font.name, 10) > 0
    assert font.family in font.message and "embedded" in font.description


@needs_wqy
def test_search_prefers_known_names_and_skips_broken_candidates(tmp_path):
    (tmp_path / "wqy-microhei.ttc").write_bytes(b"not a font at all" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "uming.ttc").symlink_to(WQY)
    (tmp_path / "sub" / "readme.txt").write_text("x")
    font = find_cjk_font(search_dirs=[tmp_path])
    assert font.embedded and font.family == "WenQuanYi Micro Hei"
    assert font.subfont_index == 0  # the proportional face, not Mono
    assert font.path == tmp_path / "sub" / "uming.ttc"
    assert any("wqy-microhei.ttc" in s for s in font.skipped)


def test_broken_candidates_only_fall_back_and_say_why(tmp_path):
    (tmp_path / "wqy-zenhei.ttc").write_bytes(b"\x00" * 64)
    font = find_cjk_font(search_dirs=[tmp_path])
    assert font.name == CID_FALLBACK
    assert "wqy-zenhei.ttc" in font.message


@needs_wqy
def test_font_override_with_ttc_index():
    mono = find_cjk_font(f"{WQY}#1")
    assert mono.subfont_index == 1 and "Mono" in mono.family
    plain = find_cjk_font(WQY)
    assert plain.subfont_index == 0


def test_font_override_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist") as exc:
        find_cjk_font(tmp_path / "missing.ttf")
    assert exc.value.field == "--font"
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"hello")
    with pytest.raises(InputError, match="cannot be used"):
        find_cjk_font(junk)
    latin = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if latin.is_file():
        with pytest.raises(InputError, match="no Chinese glyphs"):
            find_cjk_font(latin)
