"""All tables, importable from one place (Alembic's autogenerate needs them registered)."""

from app.db.models.attribution import Attribution
from app.db.models.automation import Enrollment, FlowSetting
from app.db.models.calendar import CalendarRun
from app.db.models.catalog import AlertWave, Product, ProductVariant, StockAlert
from app.db.models.commerce import Cart, Checkout, Order
from app.db.models.consent import ConsentChange
from app.db.models.contact import Contact
from app.db.models.decisions import Decision
from app.db.models.discounts import DiscountCode
from app.db.models.feedback import MessageEvent
from app.db.models.forms import FormSubmission, SignupForm
from app.db.models.inbox import WebhookEvent
from app.db.models.messaging import DataExport, Message, Suppression
from app.db.models.push import PushSubscription
from app.db.models.shop import Shop
from app.db.models.storefront import StorefrontEvent, Visitor
from app.db.models.sync import HistorySyncState

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
    "FormSubmission",
    "HistorySyncState",
    "Message",
    "MessageEvent",
    "Order",
    "Product",
    "ProductVariant",
    "PushSubscription",
    "Shop",
    "SignupForm",
    "StockAlert",
    "StorefrontEvent",
    "Suppression",
    "Visitor",
    "WebhookEvent",
]
