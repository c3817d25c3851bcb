"""Pages a shopper reaches from a message: confirm a subscription, unsubscribe, follow a tracked link."""
