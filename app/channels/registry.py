"""Pick the channel implementation for each channel name from the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from app.channels.base import Channel
from app.channels.outbox import OutboxChannel
from app.config import Config


@dataclass
class ChannelSet:
    email: Channel
    sms: Channel

    def get(self, name: str) -> Channel:
        if name == "email":
            return self.email
        if name == "sms":
            return self.sms
        raise KeyError(f"no channel called {name!r}")


def channels_from_config(config: Config) -> ChannelSet:
    """Use SendGrid and Twilio when their credentials are set, the outbox otherwise."""
    email: Channel = OutboxChannel()
    sms: Channel = OutboxChannel()
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
    return ChannelSet(email=email, sms=sms)
