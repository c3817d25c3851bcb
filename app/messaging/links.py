"""Our own click tracking: each link of a message becomes ``APP_URL/c/<token>``, where the token signs
(message id, link number) and the URL itself is kept on the message (``Message.links``).

The redirect can only lead where the message's own links led, so it is never an open redirect,
and the tracked link stays short: a Shopify recovery URL of 120 characters becomes about 70, which
keeps an SMS in one segment. The unsubscribe link is never rewritten (one click must unsubscribe
even if tracking breaks), nor are ``mailto:`` and other non-web links. Every other link is first
vetted (``link_policy.py``): one to a domain that is not the shop's becomes its home page, tracked
or not.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import cache

from itsdangerous import BadSignature, URLSafeSerializer

from app.core.errors import StoreflowError

PATH = "/c/"
_SALT = "storeflow-click"
_HREF = re.compile(r"""(\bhref\s*=\s*)(["'])(https?://.*?)\2""", re.IGNORECASE | re.DOTALL)
_TEXT_URL = re.compile(r"https?://[^\s<>\"']+")
# A sentence may end right after a link: its closing punctuation is not part of the URL.
_TRAILING = ".,;:!?)]"


class BadClickLinkError(StoreflowError, ValueError):
    """The token was not signed by us, or does not name a message and link."""


@cache
def _serializer(secret_key: str) -> URLSafeSerializer:
    """One serializer per key: a message has a link per line item and part, each signed with it."""
    return URLSafeSerializer(secret_key, salt=_SALT)


def click_url(app_url: str, secret_key: str, message_id: int, index: int) -> str:
    """Return the tracked link for the message's ``index``-th URL."""
    return f"{app_url}{PATH}{_serializer(secret_key).dumps([message_id, index])}"


def read_click_token(secret_key: str, token: str) -> tuple[int, int]:
    """Return (message id, link number) from a click token, or raise BadClickLinkError."""
    try:
        message_id, index = _serializer(secret_key).loads(token)
    except (BadSignature, TypeError, ValueError):
        raise BadClickLinkError("not one of our click links") from None
    if not isinstance(message_id, int) or not isinstance(index, int) or index < 0:
        raise BadClickLinkError("click link names no message link")
    return message_id, index


class LinkRewriter:
    """Rewrite a message's links into vetted, tracked ones, the same URL always to the same link.

    ``vet`` returns where a link may lead instead of its URL; without ``tracked`` links are only
    vetted (the provider tracks their clicks), and ``urls`` stays empty.
    """

    def __init__(
        self,
        tracked: Callable[[int], str] | None,
        keep: Callable[[str], bool],
        vet: Callable[[str], str] = lambda url: url,
    ) -> None:
        self._tracked = tracked
        self._keep = keep
        self._vet = vet
        self.urls: list[str] = []

    def html(self, body: str) -> str:
        """Rewrite every ``href`` pointing at an http(s) URL."""

        def replace(match: re.Match[str]) -> str:
            url = html.unescape(match.group(3))
            link = self._link(url)
            if link == url:
                return match.group(0)
            return f"{match.group(1)}{match.group(2)}{html.escape(link)}{match.group(2)}"

        return _HREF.sub(replace, body)

    def text(self, body: str) -> str:
        """Rewrite every http(s) URL written out in plain text."""

        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            url = found.rstrip(_TRAILING)
            return self._link(url) + found[len(url) :]

        return _TEXT_URL.sub(replace, body)

    def _link(self, url: str) -> str:
        if self._keep(url):
            return url
        target = self._vet(url)
        if self._tracked is None:
            return target
        if target not in self.urls:
            self.urls.append(target)
        return self._tracked(self.urls.index(target))
