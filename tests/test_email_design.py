"""The email designer's domain (issue 19.1): a design is validated data, rendered to inlined,
responsive HTML with a text part derived from it, whatever a merchant or a shopper's data holds."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from app.design.brand import DEFAULT_BRAND, parse_brand, shop_brand
from app.design.document import KINDS, MAX_BLOCKS, MAX_TEXT, design_document, parse_design
from app.design.errors import DesignError
from app.design.render import render_design


class Elements(HTMLParser):
    """The tags, attribute names and image sources a browser would see in the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.sources: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        if tag == "img":
            self.sources.update(value or "" for name, value in attrs if name == "src")


EVERY_BLOCK = [
    {"type": "text", "text": "Hi {first_name},\n\nYour cart at {shop_name} is waiting.", "style": "heading"},
    {"type": "image", "src": "https://cdn.alpha.example/hero.png", "alt": "Our summer range"},
    {"type": "button", "label": "Return to checkout", "target": "recovery"},
    {"type": "product_grid", "source": "products", "columns": 2, "label": "Shop now"},
    {"type": "cart_lines", "show_total": True},
    {"type": "discount_code", "heading": "A gift"},
    {"type": "divider"},
    {"type": "social", "links": [{"network": "instagram", "url": "https://instagram.com/alpha"}]},
]


def context(**changes):
    base = {
        "shop": {"name": "Alpha Goods", "url": "https://alpha.example", "email": "hi@alpha.example"},
        "contact": {"first_name": "Jane", "name": "Jane Cooper", "email": "jane@example.com"},
        "unsubscribe_url": "https://app.example/u/token",
        "checkout": {
            "recovery_url": "https://alpha.example/checkouts/c1/recover",
            "line_items": [
                {
                    "title": "Linen shirt",
                    "variant_title": "M",
                    "quantity": 2,
                    "price": "58.00",
                    "url": "https://alpha.example/p/1",
                }
            ],
            "total_price": "116.00",
            "currency": "EUR",
        },
        "order": None,
        "cart": None,
        "products": [
            {
                "title": "Canvas tote",
                "url": "https://alpha.example/p/2",
                "price": "24.00",
                "currency": "EUR",
                "image_url": "https://cdn.alpha.example/tote.png",
            },
            {
                "title": "Straw hat",
                "url": "https://alpha.example/p/3",
                "price": None,
                "currency": "EUR",
                "image_url": None,
            },
        ],
        "recommendations": [],
        "discount": {"code": "SF-GIFT10", "percent": 10, "expires": "May 1"},
    }
    base.update(changes)
    return base


def rendered(blocks=None, brand=DEFAULT_BRAND, **changes):
    return render_design(parse_design({"blocks": blocks or EVERY_BLOCK}), brand, context(**changes))


def test_every_block_kind_renders_its_content():
    email = rendered()

    for shown in (
        "Hi Jane,",
        "hero.png",
        "Return to checkout",
        "Canvas tote",
        "Straw hat",
        "Linen shirt",
        "€116.00",
        "SF-GIFT10",
        "<hr",
        "instagram.com/alpha",
    ):
        assert shown in email.html
    assert {block["type"] for block in EVERY_BLOCK} == set(KINDS)


def test_the_css_is_inlined_into_style_attributes_and_only_the_media_query_stays_in_the_head():
    email = rendered()

    head = email.html.split("</head>")[0]
    assert re.search(r'<a class="button"[^>]*style="[^"]*background-color: #18181b', email.html)
    assert head.count("<style>") == 1 and "@media only screen and (max-width: 480px)" in head
    assert ".cell {" not in head  # the ordinary rules went into the elements


def test_the_layout_is_tables_at_most_600_px_wide_with_columns_that_stack_on_phones():
    email = rendered()

    assert "max-width: 600px" in email.html
    assert email.html.count('role="presentation"') >= 3
    assert email.html.count('class="card stack"') == 2
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in email.html


def test_the_text_part_is_derived_from_the_html():
    email = rendered()

    assert "Hi Jane," in email.text
    assert "[Return to checkout](https://alpha.example/checkouts/c1/recover)" in email.text
    assert "Linen shirt" in email.text and "€116.00" in email.text
    assert "SF-GIFT10" in email.text
    assert "<" not in email.text.replace("<b>", "")
    assert "[Unsubscribe](https://app.example/u/token)" in email.text


def test_the_footer_has_the_unsubscribe_link_and_the_stores_postal_address():
    brand = parse_brand({"address": "1 Market Street\nSpringfield, IL 62701"})

    email = rendered(brand=brand)

    assert 'href="https://app.example/u/token"' in email.html
    assert "1 Market Street, Springfield, IL 62701" in email.html and "1 Market Street" in email.text
    assert not brand.address_missing and DEFAULT_BRAND.address_missing


def test_the_brand_kit_colours_font_and_logo_reach_the_email():
    brand = parse_brand(
        {
            "accent": "#FFCC00",
            "link": "#0000ee",
            "font": "georgia",
            "logo_url": "https://cdn.alpha.example/logo.png",
        }
    )

    email = rendered(brand=brand)

    assert "background-color: #ffcc00" in email.html
    assert "color: #000000" in email.html  # dark words on a light button
    assert "Georgia,'Times New Roman',serif" in email.html
    assert '<img class="logo"' in email.html and "logo.png" in email.html


def test_dynamic_blocks_with_nothing_to_show_render_nothing():
    email = rendered(
        blocks=[
            {"type": "product_grid", "source": "recommendations"},
            {"type": "discount_code"},
            {"type": "cart_lines"},
        ],
        checkout=None,
        discount=None,
    )

    assert (
        "card stack" not in email.html
        and "discount-code" not in email.html
        and 'class="lines"' not in email.html
    )


def test_a_recovery_button_leads_to_the_order_or_else_the_shop():
    button = [{"type": "button", "label": "See it", "target": "recovery"}]

    order = rendered(
        blocks=button,
        checkout=None,
        order={"name": "#1001", "status_url": "https://alpha.example/o/1", "line_items": []},
    )
    none = rendered(blocks=button, checkout=None)

    assert 'href="https://alpha.example/o/1"' in order.html
    assert 'href="https://alpha.example"' in none.html


def test_merge_tags_fill_in_and_a_missing_first_name_reads_there():
    email = render_design(
        parse_design(
            {"subject": "{first_name}, it's waiting", "blocks": [{"type": "text", "text": "Hi {first_name}"}]}
        ),
        DEFAULT_BRAND,
        context(contact={"first_name": None}),
    )

    assert email.subject == "there, it's waiting"
    assert "Hi there" in email.html


def test_a_design_reads_back_from_what_it_stores():
    design = parse_design({"subject": "Hi", "blocks": EVERY_BLOCK})

    assert parse_design(design_document(design)) == design


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("not an object", "design: must be an object with blocks"),
        ({"blocks": "text"}, "blocks: must be a list of blocks"),
        ({"blocks": []}, "blocks: add at least one block"),
        ({"blocks": [{"type": "marquee"}]}, "block 1, type: must be one of"),
        ({"blocks": [{"type": "text"}]}, "block 1, text: is required"),
        ({"blocks": [{"type": "text", "text": 5}]}, "block 1, text: must be text"),
        ({"blocks": [{"type": "button", "label": "Go", "target": "custom"}]}, "block 1, url: is required"),
        (
            {"blocks": [{"type": "image", "src": "https://x.example/a.png", "width": 10_000}]},
            "block 1, width: must be a whole number from 40 to 600",
        ),
        (
            {"blocks": [{"type": "image", "src": "https://x.example/a.png", "width": float("nan")}]},
            "block 1, width:",
        ),
        ({"blocks": [{"type": "product_grid", "columns": 3}]}, "block 1, columns:"),
        (
            {"blocks": [{"type": "cart_lines", "show_total": "yes"}]},
            "block 1, show_total: must be true or false",
        ),
        (
            {"blocks": [{"type": "social", "links": [{"network": "myspace", "url": "https://m.example"}]}]},
            "block 1, network:",
        ),
        ({"blocks": [{"type": "divider"}] * (MAX_BLOCKS + 1)}, f"at most {MAX_BLOCKS} blocks"),
    ],
)
def test_an_invalid_design_is_refused_naming_the_block_and_field(data, problem):
    with pytest.raises(DesignError) as refused:
        parse_design(data)

    assert problem in str(refused.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(DesignError) as refused:
        parse_design({"blocks": [{"type": "text"}, {"type": "button"}, {"type": "image", "src": "ftp://x"}]})

    assert [(p.block, p.field) for p in refused.value.problems] == [(0, "text"), (1, "label"), (2, "src")]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>",
        "vbscript:x",
        "//evil.example/x",
        "/relative",
        "https://",
        "https://a b.example",
    ],
)
@pytest.mark.parametrize(("kind", "field"), [("image", "src"), ("image", "href"), ("button", "url")])
def test_links_other_than_web_addresses_are_refused(url, kind, field):
    block = {
        "type": kind,
        "src": "https://x.example/a.png",
        "label": "Go",
        "target": "custom",
        "url": "https://x.example",
    }
    block[field] = url

    with pytest.raises(DesignError) as refused:
        parse_design({"blocks": [block]})

    assert f"{field}: must be a web address starting with https://" in str(refused.value)


def test_a_social_link_must_be_a_web_address_too():
    with pytest.raises(DesignError, match="url: must be a web address"):
        parse_design(
            {"blocks": [{"type": "social", "links": [{"network": "x", "url": "javascript:alert(1)"}]}]}
        )


def test_huge_text_is_refused_not_rendered():
    with pytest.raises(DesignError, match=f"longer than {MAX_TEXT:,} characters"):
        parse_design({"blocks": [{"type": "text", "text": "a" * (MAX_TEXT + 1)}]})


@pytest.mark.parametrize(
    "hostile",
    [
        "\udfff",
        "half an emoji \ud83d",
        "nul\x00byte",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "{{ 7*7 }} {% raw %}",
        "\u202eevil",
        "a" * MAX_TEXT,
    ],
)
def test_hostile_text_in_every_field_never_crashes_and_never_injects(hostile):
    design = parse_design(
        {
            "subject": hostile[:200],
            "preheader": hostile[:200],
            "blocks": [
                {"type": "text", "text": hostile},
                {"type": "image", "src": "https://x.example/a.png", "alt": hostile[:160]},
                {"type": "button", "label": hostile[:80]},
                {"type": "product_grid", "label": hostile[:80]},
                {"type": "discount_code", "heading": hostile[:80]},
            ],
        }
    )
    shopper = {"first_name": hostile, "name": hostile, "email": "x@example.com"}
    products = [
        {
            "title": hostile,
            "url": "https://alpha.example/p",
            "price": hostile,
            "currency": hostile,
            "image_url": None,
        }
    ]

    email = render_design(
        design,
        parse_brand({"address": hostile[:300], "footer": hostile[:500]}),
        context(contact=shopper, products=products),
    )

    elements = Elements()
    elements.feed(email.html)
    assert "script" not in elements.tags
    assert not [name for name in elements.attributes if name.startswith("on")]
    assert "x" not in elements.sources  # no image the shopper's words made up
    assert "49" not in email.html  # Jinja in the merchant's words is text, not code
    assert email.html.encode("utf-8") and email.text.encode("utf-8")  # no lone surrogate survives


def test_a_stored_brand_kit_that_no_longer_reads_gives_the_defaults():
    assert shop_brand({"brand": {"accent": "red; background:url(x)"}}) == DEFAULT_BRAND
    assert shop_brand(None) == DEFAULT_BRAND


@pytest.mark.parametrize(
    ("field", "value"),
    [("accent", "red;}"), ("background", "#12345"), ("font", "Comic Sans"), ("logo_url", "javascript:x")],
)
def test_a_brand_kit_is_refused_field_by_field(field, value):
    with pytest.raises(DesignError) as refused:
        parse_brand({field: value})

    assert [p.field for p in refused.value.problems] == [field]
