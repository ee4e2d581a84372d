"""Branding: WCAG contrast of the accent colour (refused at save below 4.5:1), the logo recognised by its bytes and
served with exactly that type, and the guest pages' config carrying it."""

import json
import struct
import zlib

import pytest
import requests

from shared.guest import branding
from shared.guest.branding import Branding, BrandingRejected, contrast_ratio, logo_type
from tests.support.admin_client import COOKIE, Admin


def png(width: int = 2, height: int = 2, padding: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x1d\x5f\xd0" * width for _ in range(height))
    extra = chunk(b"tEXt", b"c\x00" + b"x" * padding) if padding else b""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# (colour, against white, against the page background #f3f4f6), from the WCAG 2.x formula; the white values match
# WebAIM's contrast checker (#767676 4.54:1, #595959 7:1).
CONTRASTS = [
    ("#000000", 21.0, 19.08),
    ("#e5a00d", 2.24, 2.04),  # Helpr's own amber: fine with dark text, not with white
    ("#1d5fd0", 5.83, 5.30),
    ("#767676", 4.54, 4.13),  # the grey known to pass on white (4.54:1) fails on the page
    ("#595959", 7.0, 6.36),
]


@pytest.mark.parametrize(("colour", "on_white", "on_page"), CONTRASTS)
def test_contrast_follows_the_wcag_formula(colour, on_white, on_page):
    assert contrast_ratio(colour, "#ffffff") == pytest.approx(on_white, abs=0.01)
    assert contrast_ratio(colour, branding.PAGE_BACKGROUND) == pytest.approx(on_page, abs=0.01)
    assert contrast_ratio("#ffffff", colour) == contrast_ratio(colour, "#ffffff")


@pytest.mark.parametrize(("colour", "accepted"), [(c, min(w, p) >= 4.5) for c, w, p in CONTRASTS])
def test_an_accent_with_too_little_contrast_is_refused_at_save(colour, accepted):
    if accepted:
        assert branding.parse({"accent": colour.upper()}, Branding()).accent == colour
        return
    with pytest.raises(BrandingRejected) as refused:
        branding.parse({"accent": colour}, Branding())
    assert (refused.value.code, refused.value.field) == ("low_contrast", "accent")
    assert "4.5:1" in refused.value.message


@pytest.mark.parametrize("body", [{"accent": "blue"}, {"accent": "#12345"}, {"welcome": "x" * 201}, {"serverName": "a\nb"}])
def test_malformed_fields_are_refused_with_the_field(body):
    with pytest.raises(BrandingRejected) as refused:
        branding.parse(body, Branding())
    assert refused.value.field == next(iter(body))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (png(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', ""),
        (b"GIF89a\x01\x00\x01\x00", ""),
        (b"<html><script>alert(1)</script>", ""),
        (b"", ""),
    ],
)
def test_the_logo_type_comes_from_its_first_bytes(data, kind):
    assert logo_type(data) == kind


def upload(app, admin, data: bytes, content_type: str = "image/png") -> requests.Response:
    headers = {"Origin": app.site_url, "X-CSRF-Token": admin.csrf, "Cookie": f"{COOKIE}={admin.cookie}", "Content-Type": content_type}
    return requests.put(f"{app.site_url}/api/manage/branding/logo", data=data, headers=headers, timeout=30)


def test_branding_is_saved_checked_and_served_to_the_guest_pages(app, admin):
    refused = admin.call("PUT", "manage/branding", {"accent": "#e5a00d"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "low_contrast" and refused.json()["error"]["field"] == "accent"
    saved = admin.call("PUT", "manage/branding", {"serverName": "Movie Night", "accent": "#1d5fd0", "welcome": "Popcorn's on me."})
    assert saved.status_code == 200, saved.text
    assert saved.json()["minContrast"] == 4.5
    config = requests.get(f"{app.site_url}/api/config", timeout=30).json()
    assert config["serverName"] == "Movie Night"
    assert config["branding"] == {"serverName": "Movie Night", "accent": "#1d5fd0", "welcome": "Popcorn's on me.", "logoUrl": ""}
    assert admin.call("GET", "manage/branding").json()["branding"]["accent"] == "#1d5fd0"


def test_only_small_png_jpeg_or_webp_logos_are_taken_and_they_are_served_with_their_own_type(app, admin):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for data, content_type in ((svg, "image/svg+xml"), (svg, "image/png"), (b"GIF89a\x01\x00\x01\x00", "image/gif")):
        refused = upload(app, admin, data, content_type)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_logo", refused.text
    too_big = upload(app, admin, png(padding=branding.MAX_LOGO_BYTES))
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "logo_too_large"
    assert requests.get(f"{app.site_url}/api/branding/logo", timeout=30).status_code == 404
    image = png(padding=150 * 1024)  # several Table Storage properties' worth
    saved = upload(app, admin, image, "application/octet-stream")
    assert saved.status_code == 200, saved.text
    logo_url = saved.json()["branding"]["logoUrl"]
    assert logo_url.startswith("/api/branding/logo?v=")
    served = requests.get(f"{app.site_url}{logo_url}", timeout=30)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.content == image
    assert json.loads(requests.get(f"{app.site_url}/api/config", timeout=30).text)["branding"]["logoUrl"] == logo_url
    assert admin.call("DELETE", "manage/branding/logo").status_code == 200
    assert requests.get(f"{app.site_url}/api/config", timeout=30).json()["branding"]["logoUrl"] == ""
    assert requests.get(f"{app.site_url}{logo_url}", timeout=30).status_code == 404


def test_branding_changes_need_a_session_and_the_csrf_header(app, admin):
    assert requests.put(f"{app.site_url}/api/manage/branding", json={"accent": "#1d5fd0"}, timeout=30).status_code == 401
    assert admin.call("PUT", "manage/branding", {"accent": "#1d5fd0"}, csrf=False).status_code == 403
    assert upload(app, Admin(app), png()).status_code == 401
