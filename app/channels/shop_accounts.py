"""The channels one shop's messages go through: its own provider accounts where it connected them.

A merchant may save their own SendGrid key or Twilio account in the settings (app/shops/settings.py
keeps them, encrypted); their messages then go out through those, and through the deployment's
channels (app/channels/registry.py) otherwise. Push always uses the deployment's VAPID keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.channels.registry import ChannelSet
from app.core.config import Config
from app.core.crypto import TokenCipher
from app.db.models import Shop
from app.messaging.channel import Channel
from app.shops.settings import sendgrid_key, twilio_account


def channels_for_shop(shop: Shop, cipher: TokenCipher, config: Config, default: ChannelSet) -> ChannelSet:
    """Send through the shop's own providers where it connected them, else through the deployment's."""
    email: Channel = default.email
    sms: Channel = default.sms
    key = sendgrid_key(shop, cipher)
    if key:
        from app.channels.sendgrid_email import SendGridChannel

        email = SendGridChannel(key, config.sendgrid_api_host)
    account = twilio_account(shop, cipher)
    if account is not None:
        from app.channels.twilio_sms import TwilioChannel

        sms = TwilioChannel(
            account.account_sid, account.auth_token, account.from_number, account.messaging_service_sid
        )
    return ChannelSet(email=email, sms=sms, push=default.push)


@dataclass(frozen=True)
class ShopAccountChannels:
    """The ``ShopChannels`` the sender is given (app/messaging/channel.py), built at the edge."""

    default: ChannelSet
    cipher: TokenCipher
    config: Config

    def __call__(self, shop: Shop, channel: str, /) -> Channel:
        return channels_for_shop(shop, self.cipher, self.config, self.default).get(channel)
