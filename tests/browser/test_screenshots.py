"""The screenshot script's camera (demo/screenshots.py) on one page of the test app: the whole page,
at the phone's width. The full run, every page of the demo, is ``make screenshots``."""

from __future__ import annotations

import struct

import pytest

from app.web.admin.auth import login_link_token
from demo.screenshots import capture, signed_in_page

pytestmark = pytest.mark.browser


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_page_is_captured_whole_at_the_phones_width(app, factory, live_server, browser, tmp_path):
    shop = factory.shop(name="Demo Outfitters")
    factory.enable(shop, "abandoned_checkout", "thank_you")
    login = f"{live_server}/admin/login/{login_link_token('test-secret-key', shop.id)}"
    page = signed_in_page(browser, login, 390)

    shot = capture(page, f"{live_server}/admin/flows", tmp_path / "flows-390.png")
    page.context.close()

    width, height = png_size(shot.read_bytes())
    assert width == 390
    assert height > 844  # the whole list, not the first screen of it
