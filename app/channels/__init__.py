"""Delivery channels: SendGrid email, Twilio SMS, web push, and the dev outbox used when keys are missing.

Each implements the protocol the domain speaks (app/messaging/channel.py); which one a shop's
message goes through is chosen here and handed to the sender from the edge (app/jobs/services.py).
"""
