"""All tables, importable from one place (Alembic's autogenerate needs them registered)."""

from app.models.automation import Enrollment, FlowSetting
from app.models.commerce import Cart, Checkout, Order
from app.models.contact import Contact
from app.models.inbox import WebhookEvent
from app.models.messaging import DataExport, Message, Suppression
from app.models.shop import Shop

__all__ = [
    "Cart",
    "Checkout",
    "Contact",
    "DataExport",
    "Enrollment",
    "FlowSetting",
    "Message",
    "Order",
    "Shop",
    "Suppression",
    "WebhookEvent",
]
