"""``python -m demo.screenshots`` (``make screenshots``): every admin page, photographed from the demo's data.

It plays the demo's story (demo/run.py: SQLite, embedded Redis, the bundled sample webhooks and
history) without printing it, then, while the demo's app still serves, signs in to the Shopify
store's admin with a one-time login link as a merchant would and saves a full-page PNG of each page
in ``SHOTS`` at 1280 px and at 390 px wide, in 256 colours to keep them small
(docs/screenshots/<page>-1280.png and <page>-390.png), and the gallery that shows them,
docs/screenshots.md. Before that it stages the two things the story leaves empty: the merchant
designs a signup form in the admin, and a webhook arrives that Storeflow cannot read, so the forms
and deliveries pages show what they are for.

The pictures come out the same on every run on the same machine: the demo's clock is virtual and
ends at the same instant, and what would still differ (the storefront key in the tracking snippet,
random by design, and the wall-clock time a contact was first stored) is pinned before the
capture. Playwright drives Debian's Chromium (``/usr/bin/chromium``); no browser is downloaded, and
the browser reaches nothing but the demo's app: the product photos the samples link to (on their
stores' CDNs) are drawn as plain grey squares.

``SHOTS`` must name every admin page: tests/test_screenshots.py compares it with the app's routes,
so a new page cannot be left out of the docs' pictures.
"""

from __future__ import annotations

import base64
import io
import sys
from contextlib import ExitStack, redirect_stdout
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Route, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--font-render-hinting=none",
]
# A laptop's browser window and a phone (iPhone 12 to 15), the widths issue 19 checks every page at.
WIDTHS = {1280: 900, 390: 844}
PINNED_STOREFRONT_KEY = "demo-storefront-key"
JOHN = "example@email.com"
PHOTO_STAND_IN = (226, 232, 240)  # a product photo's place: a light grey square
UNREADABLE_ORDER = {"id": "not-an-order", "line_items": "nothing here"}

# The email previews are sandboxed frames (srcdoc), whose requests no Playwright route sees: their
# remote images are pointed at the stand-in photo instead. Returns how many frames it rewrote.
STAND_IN_PHOTOS_IN_FRAMES = """(photo) => {
  let rewritten = 0;
  for (const frame of document.querySelectorAll("iframe[srcdoc]")) {
    const html = frame.srcdoc.replace(/(<img\\b[^>]*?\\bsrc=")https?:[^"]*"/gi, `$1${photo}"`);
    if (html !== frame.srcdoc) { frame.srcdoc = html; rewritten += 1; }
  }
  return rewritten;
}"""


@dataclass(frozen=True)
class Shot:
    """One admin page to photograph: its file name, the Flask endpoint it shows, its path (whose
    ``{contact}``, ``{message}`` and ``{form}`` are the demo's subjects, ``Subjects``), and what
    the gallery says it shows."""

    name: str
    endpoint: str
    path: str
    caption: str

    def files(self) -> list[str]:
        return [f"{self.name}-{width}.png" for width in WIDTHS]


SHOTS = (
    Shot(
        "overview",
        "admin.overview",
        "/admin",
        "Overview: what the flows earned over the period, against the one before",
    ),
    Shot(
        "flows",
        "admin.flows",
        "/admin/flows",
        "Flows, grouped by goal, each with its switch, status and figures",
    ),
    Shot(
        "flow",
        "admin.flow_detail",
        "/admin/flows/abandoned_checkout",
        "A flow: abandoned checkout recovery, its steps, settings and template editor",
    ),
    Shot(
        "email-designer",
        "admin.email_designer",
        "/admin/flows/abandoned_checkout/design/first_email",
        "The email designer: the first reminder's blocks, previewed at 600 and 375 px, and the brand kit",
    ),
    Shot(
        "ab-test",
        "admin.ab_test",
        "/admin/flows/welcome_series/steps/discount_email/ab",
        "An A/B test: the welcome discount's subjects, each variant's figures and chance of being best",
    ),
    Shot(
        "messages",
        "admin.messages",
        "/admin/messages",
        "Messages: every send and skip, with its channel and status",
    ),
    Shot(
        "message",
        "admin.message_detail",
        "/admin/messages/{message}",
        "A message: John's last reminder, the order it earned and its decision log",
    ),
    Shot("contacts", "admin.contacts", "/admin/contacts", "Contacts: the shoppers and their consent"),
    Shot(
        "contact",
        "admin.contact_detail",
        "/admin/contacts/{contact}",
        "A contact: John's consent, messages, journeys and decision log",
    ),
    Shot(
        "forms", "admin.forms", "/admin/forms", "Signup forms, with their views, submissions and subscribers"
    ),
    Shot("form", "admin.form_detail", "/admin/forms/{form}", "A signup form's editor with its live preview"),
    Shot("new-form", "admin.new_form", "/admin/forms/new", "A new signup form, from the default design"),
    Shot(
        "settings",
        "admin.settings",
        "/admin/settings",
        "Settings: sender, contact budget, consent, storefront tracking",
    ),
    Shot("history", "admin.history", "/admin/history", "Store history: what the history sync has read"),
    Shot(
        "deliveries",
        "admin.deliveries",
        "/admin/deliveries",
        "Deliveries set aside: a webhook Storeflow could not read, and its replay",
    ),
)
GALLERY = ROOT / "docs" / "screenshots.md"

# The admin's GET routes that answer with something other than a page, so have no picture.
NOT_PAGES = {
    "admin.login": "spends a login link and redirects to the overview",
    "admin.download_consent_csv": "a file download",
    "admin.download_consent_json": "a file download",
    "admin.export_flows": "a file download",
    "audit_api.consent_ledger": "JSON for auditors' scripts",
    "audit_api.consent_ledger_csv": "a CSV for auditors' scripts",
    "audit_api.contact_decision_log": "JSON for auditors' scripts",
    "audit_api.message_decision_log": "JSON for auditors' scripts",
    "reports.report": "JSON for the merchant's scripts",
}


@dataclass(frozen=True)
class Subjects:
    """The demo's records the detail pages show: John, his reminder that earned his order, and the
    signup form the merchant designs."""

    contact: int
    message: int
    form: int


def main() -> int:
    """Play the demo, stage what it leaves empty, photograph every page; return the exit code."""
    from demo.run import played

    print("Playing the demo's story (python -m demo) ...")
    with ExitStack() as stack:
        with redirect_stdout(io.StringIO()):  # the story's telling is docs/demo-output.txt
            demo = stack.enter_context(played())
        driver = stack.enter_context(sync_playwright())
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        stack.callback(browser.close)
        _receive_an_unreadable_webhook(demo)
        _pin_what_is_random(demo.app, demo.shopify_shop_id)
        form = _design_a_signup_form(browser, demo)
        subjects = Subjects(*_john_and_his_reminder(demo.app, demo.shopify_shop_id), form=form)
        OUTPUT.mkdir(parents=True, exist_ok=True)
        for stale in OUTPUT.glob("*.png"):
            stale.unlink()
        for width in WIDTHS:
            page = _signed_in(browser, demo, width)
            for shot in SHOTS:
                path = capture(
                    page, demo.base + shot.path.format(**vars(subjects)), OUTPUT / f"{shot.name}-{width}.png"
                )
                print(f"  {path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
            page.context.close()
    GALLERY.write_text(gallery())
    print(
        f"{len(SHOTS) * len(WIDTHS)} screenshots in {OUTPUT.relative_to(ROOT)}/, "
        f"shown in {GALLERY.relative_to(ROOT)}"
    )
    return 0


def gallery() -> str:
    """docs/screenshots.md: every page's pictures side by side, desktop and phone."""
    header = "| " + " | ".join(f"{width} px" for width in WIDTHS) + " |"
    lines = [
        "# Screenshots",
        "",
        "Every admin page of the Shopify store after [the demo's day](demo.md), at a laptop's and a",
        "phone's width. `make screenshots` (`python -m demo.screenshots`) remakes them and this page.",
        "",
    ]
    for shot in SHOTS:
        images = " | ".join(f"![{shot.caption}, {w} px](screenshots/{shot.name}-{w}.png)" for w in WIDTHS)
        lines += [f"## {shot.caption}", "", header, "|" + "---|" * len(WIDTHS), f"| {images} |", ""]
    return "\n".join(lines)


def capture(page: Page, url: str, path: Path) -> Path:
    """Open ``url`` and save the whole page, however long, as a PNG at ``path``.

    A full-page capture leaves sandboxed (cross-origin) frames below the fold blank, as the
    previews are: the viewport is made as tall as the page instead, so every frame is painted.
    """
    viewport = page.viewport_size or {"width": 1280, "height": 900}
    page.goto(url, wait_until="networkidle")
    if page.evaluate(STAND_IN_PHOTOS_IN_FRAMES, _photo_data_url()):
        page.wait_for_load_state("networkidle")
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)  # the frames repaint at their new size
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    page.set_viewport_size(viewport)
    shrink(path)
    return path


def shrink(path: Path) -> None:
    """Store the PNG in 256 colours, without dithering: an admin page's flat colours and
    anti-aliased text look the same, and the file is under half the size (docs live in git)."""
    from PIL import Image

    with Image.open(path) as shot:
        palette = shot.convert("RGB").quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)


def signed_in_page(browser: Browser, login_url: str, width: int) -> Page:
    """A new tab ``width`` px wide, signed in to the admin through a one-time login link."""
    context = browser.new_context(
        viewport={"width": width, "height": WIDTHS.get(width, 900)},
        locale="en-US",
        timezone_id="America/New_York",
        device_scale_factor=1,
    )
    context.set_default_timeout(15_000)
    local = urlsplit(login_url).netloc
    context.route("**/*", lambda route: _stay_local(route, local))
    page = context.new_page()
    page.goto(login_url)
    return page


def _stay_local(route: Route, local: str) -> None:
    """Let requests to the app through; answer a product photo from a store's CDN (the samples'
    images, which a closed network cannot fetch) with a plain stand-in; refuse anything else.
    (A sandboxed frame's requests pass no route: ``STAND_IN_PHOTOS_IN_FRAMES`` sees to those.)"""
    request = route.request
    if urlsplit(request.url).netloc == local or request.url.startswith(("data:", "blob:", "about:")):
        route.continue_()
    elif request.resource_type == "image":
        route.fulfill(status=200, content_type="image/png", body=_photo_stand_in())
    else:
        route.abort()


def _photo_data_url() -> str:
    return "data:image/png;base64," + base64.b64encode(_photo_stand_in()).decode()


@cache
def _photo_stand_in() -> bytes:
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (160, 160), PHOTO_STAND_IN).save(picture, format="PNG")
    return picture.getvalue()


def _signed_in(browser: Browser, demo: Any, width: int) -> Page:
    from app.web.admin.auth import login_link_token

    token = login_link_token(demo.app.config["SECRET_KEY"], demo.shopify_shop_id)
    return signed_in_page(browser, f"{demo.base}/admin/login/{token}", width)


def _receive_an_unreadable_webhook(demo: Any) -> None:
    """A genuine, signed order webhook whose payload cannot be read: the workers set it aside."""
    from demo.store import post_webhook

    now = demo.app.extensions["storeflow"].clock.now()
    post_webhook(
        demo.base, "orders/create", UNREADABLE_ORDER, now, "demo-unreadable-order"
    ).raise_for_status()
    demo.settle()


def _pin_what_is_random(app: Any, shop_id: int) -> None:
    """Fix what would differ between runs: the storefront key (random by design), and when each
    contact was first seen, which the app stamps with the wall clock, not the demo's virtual one:
    it becomes the contact's first consent change (flow time), or the story's start."""
    from sqlalchemy import func, select

    from app.db import db
    from app.db.models import ConsentChange, Contact, Shop
    from demo.run import START

    with app.app_context():
        db.session.get_one(Shop, shop_id).storefront_key = PINNED_STOREFRONT_KEY
        first_change = dict(
            db.session.execute(
                select(ConsentChange.contact_id, func.min(ConsentChange.changed_at)).group_by(
                    ConsentChange.contact_id
                )
            ).all()
        )
        for contact in db.session.scalars(select(Contact)):
            contact.created_at = first_change.get(contact.id, START)
        db.session.commit()
        db.session.remove()


def _design_a_signup_form(browser: Browser, demo: Any) -> int:
    """Design a popup in the form editor as the merchant would; return the new form's id."""
    page = _signed_in(browser, demo, 1280)
    page.goto(f"{demo.base}/admin/forms/new")
    page.get_by_label("Name (only you see it)").fill("Welcome popup")
    page.get_by_role("button", name="Save form").click()
    page.wait_for_url("**/admin/forms/*")
    form = int(page.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0])
    page.context.close()
    return form


def _john_and_his_reminder(app: Any, shop_id: int) -> tuple[int, int]:
    """John's contact id, and the id of the reminder his order was credited to."""
    from sqlalchemy import select

    from app.db import db
    from app.db.models import Attribution, Contact

    with app.app_context():
        john = db.session.scalars(select(Contact.id).filter_by(shop_id=shop_id, email=JOHN)).one()
        reminder = db.session.scalars(
            select(Attribution.message_id)
            .filter_by(shop_id=shop_id)
            .where(Attribution.message_id.is_not(None))
        ).first()
        db.session.remove()
    if reminder is None:
        raise RuntimeError("the demo credited no order to a message")
    return john, reminder


if __name__ == "__main__":
    sys.exit(main())
