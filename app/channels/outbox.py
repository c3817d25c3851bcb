"""The dev outbox: when no provider keys are set, messages are printed instead of sent.

The rendered message is already stored on its ``message`` row, so the outbox only has to show it;
it writes to a logger the demo and developers can read.
"""

from __future__ import annotations

import logging

from app.messaging.channel import OutgoingMessage

log = logging.getLogger("storeflow.outbox")


class OutboxChannel:
    provider = "outbox"

    def send(self, message: OutgoingMessage) -> str:
        lines = [f"[outbox] {message.channel} to {message.to}"]
        if message.subject:
            lines.append(f"  Subject: {message.subject}")
        lines.extend(f"  | {line}" for line in message.text.strip().splitlines())
        log.info("\n".join(lines))
        return f"outbox-{message.reference}"
