"""Keep what goes into an email header on one line.

Names, order numbers and product titles come from shoppers and merchants and reach the subject and
the sender name. A carriage return or line feed there could start a header of its own (``Bcc:``) in
any hop that writes the message as text; SendGrid refuses such a subject outright, which would lose
the message. Control characters are replaced by spaces, so the subject still reads.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")


def single_line(value: str) -> str:
    """Return the value with every run of control characters (CR, LF, tab, NUL...) as one space."""
    return _CONTROL.sub(" ", value).strip()
