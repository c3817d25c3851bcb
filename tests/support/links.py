"""Follow the tracked links in a sent message, the way a shopper's mail client would."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask.testing import FlaskClient

TRACKED_LINK = re.compile(r"https://storeflow\.test/c/[A-Za-z0-9_.-]+")


def tracked_links(text: str) -> list[str]:
    """Return the tracked links in a message body, in order."""
    return TRACKED_LINK.findall(text)


def targets(client: FlaskClient, text: str) -> list[str]:
    """Return where each tracked link in the text leads (HEAD requests: no click is recorded)."""
    locations = []
    for link in tracked_links(text):
        response = client.head(urlsplit(link).path)
        assert response.status_code == 302, (link, response.status_code)
        locations.append(response.headers["Location"])
    return locations
