"""Pick the channel implementation for each channel name from the configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.channels.outbox import OutboxChannel
from app.core.config import Config
from app.messaging.channel import Channel


@dataclass
class ChannelSet:
    email: Channel
    sms: Channel
    push: Channel = field(default_factory=OutboxChannel)

    def get(self, name: str) -> Channel:
        if name == "email":
            return self.email
        if name == "sms":
            return self.sms
        if name == "push":
            return self.push
        raise KeyError(f"no channel called {name!r}")


def channels_from_config(config: Config) -> ChannelSet:
    """Use SendGrid, Twilio and web push when their credentials are set, the outbox otherwise."""
    email: Channel = OutboxChannel()
    sms: Channel = OutboxChannel()
    push: Channel = OutboxChannel()
    if config.sendgrid_api_key:
        from app.channels.sendgrid_email import SendGridChannel

        email = SendGridChannel(config.sendgrid_api_key, config.sendgrid_api_host)
    if config.twilio_account_sid and config.twilio_auth_token:
        from app.channels.twilio_sms import TwilioChannel

        sms = TwilioChannel(
            config.twilio_account_sid,
            config.twilio_auth_token,
            config.twilio_from_number,
            config.twilio_messaging_service_sid,
        )
    if config.vapid_private_key:
        from app.channels.web_push import WebPushChannel

        push = WebPushChannel(config.vapid_private_key, config.vapid_subject)
    return ChannelSet(email=email, sms=sms, push=push)
