"""The webhook doors of Shopify, Saleor, SendGrid and Twilio: verify, bind, store, answer."""
