"""The demo: a stand-in store replaying real sample webhooks through the app. The product never imports it."""
