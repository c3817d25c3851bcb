"""Delivery channels: SendGrid email, Twilio SMS, and the dev outbox used when keys are missing."""
