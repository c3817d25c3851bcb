"""All tables, importable from one place (Alembic's autogenerate needs them registered)."""

from app.models.attribution import Attribution
from app.models.automation import Enrollment, FlowSetting
from app.models.commerce import Cart, Checkout, Order
from app.models.contact import Contact
from app.models.feedback import MessageEvent
from app.models.inbox import WebhookEvent
from app.models.messaging import DataExport, Message, Suppression
from app.models.shop import Shop
from app.models.storefront import StorefrontEvent, Visitor

__all__ = [
    "Attribution",
    "Cart",
    "Checkout",
    "Contact",
    "DataExport",
    "Enrollment",
    "FlowSetting",
    "Message",
    "MessageEvent",
    "Order",
    "Shop",
    "StorefrontEvent",
    "Suppression",
    "Visitor",
    "WebhookEvent",
]
