"""Background work on RQ: processing stored webhooks, running flow steps, and the relay loop."""
