"""SendGrid's signed Event Webhook: what happened to the emails we sent."""
