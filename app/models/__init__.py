"""All tables, importable from one place (Alembic's autogenerate needs them registered)."""

from app.models.attribution import Attribution
from app.models.automation import Enrollment, FlowSetting
from app.models.calendar import CalendarRun
from app.models.catalog import AlertWave, Product, ProductVariant, StockAlert
from app.models.commerce import Cart, Checkout, Order
from app.models.consent import ConsentChange
from app.models.contact import Contact
from app.models.decisions import Decision
from app.models.discounts import DiscountCode
from app.models.feedback import MessageEvent
from app.models.inbox import WebhookEvent
from app.models.messaging import DataExport, Message, Suppression
from app.models.push import PushSubscription
from app.models.shop import Shop
from app.models.storefront import StorefrontEvent, Visitor

__all__ = [
    "AlertWave",
    "Attribution",
    "CalendarRun",
    "Cart",
    "Checkout",
    "ConsentChange",
    "Contact",
    "DataExport",
    "Decision",
    "DiscountCode",
    "Enrollment",
    "FlowSetting",
    "Message",
    "MessageEvent",
    "Order",
    "Product",
    "ProductVariant",
    "PushSubscription",
    "Shop",
    "StockAlert",
    "StorefrontEvent",
    "Suppression",
    "Visitor",
    "WebhookEvent",
]
