"""Reading what arrives in a URL: one rule for NUL bytes, and one bounded parser for the whole
numbers, pages, ids and dates the admin takes.

Each of these once answered 500: ``?q=%00`` and ``?k=%00`` reached PostgreSQL, which refuses NUL
in text; ``?page=99999999999999999999`` overflowed a bigint OFFSET; ``/admin/contacts/99999999999``
overflowed an integer id; ``?end=9999-12-31`` overflowed ``date`` arithmetic. The bounds here are
far past anything real, so a request that meets them is nonsense and gets a 4xx (or, for a page
number, the last page anyone could mean).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from flask import Flask, request
from werkzeug.routing import IntegerConverter, Map

from app.core.errors import StoreflowError
from app.db.models.types import MAX_ROW_ID

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# 50 rows a page: a hundred million rows. Past it a listing is empty anyway.
MAX_PAGE = 2_000_000
# Reports and filters cover the years a shop can have data for, with room for a time zone's
# day either side (``date`` arithmetic overflows at years 1 and 9999).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2999, 12, 31)
_WHOLE_NUMBER = re.compile(r"[0-9]+")  # ASCII only: "²".isdigit() is true, int("²") fails
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class QueryParamError(StoreflowError, ValueError):
    """A query parameter is not what it must be; the message names it and says what it takes."""


class RowIdConverter(IntegerConverter):
    """``<id:name>``: a row id, 1 to MAX_ROW_ID (an INTEGER key); anything else matches no route (404)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)


def whole_number(raw: str | None, default: int, low: int, high: int) -> int:
    """Read ASCII digits as a number held to [low, high]; the default when absent or not digits."""
    if raw is None or not _WHOLE_NUMBER.fullmatch(raw):
        return default
    if len(raw.lstrip("0")) > len(str(high)):  # past high, and int() of 4,301 digits would raise
        return high
    return min(max(int(raw), low), high)


def page_number_from(raw: str | None) -> int:
    """Read ``?page=``: 1 when absent or nonsense, at most MAX_PAGE."""
    return whole_number(raw, 1, 1, MAX_PAGE)


def page_number() -> int:
    """The page of the listing this request asks for."""
    return page_number_from(request.args.get("page"))


def query_date(raw: str, name: str) -> date:
    """Read a YYYY-MM-DD date between EARLIEST_DATE and LATEST_DATE, or raise naming the parameter."""
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        value = date.fromisoformat(raw)
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValueError(raw)
    except ValueError:
        raise QueryParamError(
            f"{name} must be a date between {EARLIEST_DATE} and {LATEST_DATE}, written YYYY-MM-DD"
        ) from None
    return value


class RefuseNulInQuery:
    """WSGI middleware, outermost: 400 for a query string carrying a NUL byte, on every path.

    It sits in front of the webhook and storefront doors that answer ahead of Flask too: there
    ``/storefront/events?k=%00`` reached the shop lookup, whose DataError was taken for a database
    outage and answered 503. NUL can only arrive percent-encoded (``%00``) or raw, so one substring
    test decides, without parsing the query string.
    """

    def __init__(self, downstream: WSGIApplication) -> None:
        self.downstream = downstream

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        query = environ.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            body = b"The query string contains a NUL byte."
            start_response(
                "400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return self.downstream(environ, start_response)


def install(app: Flask) -> None:
    """Add the ``id`` route converter (before any blueprint is registered)."""
    app.url_map.converters["id"] = RowIdConverter
