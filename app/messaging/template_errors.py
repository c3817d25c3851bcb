"""Jinja's error messages in plain words, at the merchant's line: the template editor shows these.

Jinja speaks to Python developers ("unexpected end of template, expected 'end of print
statement'"); a merchant editing an email needs what is wrong and what to type. Each rule below
matches one of Jinja's messages and says it plainly; the original is kept as the detail. A block
left open is reported at the line that opened it, where Jinja, reading to the end first, names the
last line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from jinja2 import Environment, TemplateSyntaxError

# Tags that open a block closed by ``end<tag>``.
BLOCK_TAGS = frozenset({"if", "for", "macro", "call", "filter", "block", "with", "autoescape", "raw"})
_LEXER = Environment()


@dataclass(frozen=True)
class PlainError:
    """What the editor shows: ``words`` (with the line), and Jinja's own message as ``detail``."""

    line: int | None
    words: str
    detail: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.words}" if self.line else self.words[:1].upper() + self.words[1:]

    def within(self, part: str) -> str:
        """Say it with its part ("Subject, line 1: …"), for a place that shows every part's errors."""
        return f"{part}, line {self.line}: {self.words}" if self.line else f"{part}: {self.words}"


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _tag(name: str) -> str:
    return "{% " + name + " %}"


RULES: list[Rule] = [
    (
        re.compile(r"Unexpected end of template\. .*The innermost block that needs to be closed is '(\w+)'"),
        lambda m: f"the tag {_tag(m[1])} is never closed (add {_tag('end' + m[1])})",
    ),
    (
        re.compile(r"unexpected end of template, expected 'end of print statement'"),
        lambda m: "a {{ is never closed (add }} after the variable)",
    ),
    (
        re.compile(r"unexpected end of template, expected 'end of statement block'"),
        lambda m: "a {% is never closed (add %} after the tag)",
    ),
    (
        re.compile(r"Encountered unknown tag '(\w+)'\. You probably made a nesting mistake.*is '(\w+)'"),
        lambda m: (
            f"{_tag(m[1])} comes before the {_tag(m[2])} inside it is closed (add {_tag('end' + m[2])} first)"
        ),
    ),
    (
        re.compile(r"Encountered unknown tag 'end(\w+)'\.$"),
        lambda m: f"{_tag('end' + m[1])} closes nothing: there is no open {_tag(m[1])} above it (remove it)",
    ),
    (
        re.compile(r"Encountered unknown tag '(\w+)'"),
        lambda m: f"{_tag(m[1])} is not a tag templates know (they know if, for, set, macro and their ends)",
    ),
    (
        re.compile(r"'(\w+)' is undefined"),
        lambda m: f"there is no variable called {m[1]} (check its spelling against the list below)",
    ),
    (
        re.compile(r"'([\w ]+?) object' has no attribute '(\w+)'"),
        lambda m: f"“{m[2]}” is not a field of this {_kind(m[1])} (check the spelling after the dot)",
    ),
    (
        re.compile(r"No filter named '(\w+)'"),
        lambda m: f"there is no filter called {m[1]} (use money, or one of Jinja's, like upper or default)",
    ),
    (
        re.compile(r"unexpected char '(.+?)' at \d+"),
        lambda m: f"the character {m[1]} cannot be used inside {{{{ }}}} or {{% %}}",
    ),
    (
        re.compile(r"access to attribute '(\w+)' of .* is unsafe"),
        lambda m: f"templates may not use {m[1]}",
    ),
    (re.compile(r"Missing end of comment tag"), lambda m: "a {# comment is never closed (add #})"),
    (re.compile(r"tag name expected"), lambda m: "{% %} needs a tag name, like {% if cart %}"),
    (
        re.compile(r"expected token 'end of print statement', got '(.+)'"),
        lambda m: f"“{m[1]}” follows a value inside {{{{ }}}} without a dot, a | or an operator between them",
    ),
    (
        re.compile(r"Expected an expression, got 'end of statement block'"),
        lambda m: "a tag is missing what it tests or loops over (like {% if cart %})",
    ),
    (
        re.compile(r"unexpected '(.+?)', expected '(.+?)'"),
        lambda m: f"“{m[1]}” found where “{m[2]}” was expected (a bracket may be left open)",
    ),
    (
        re.compile(r"'(.+?)' not found in search path"),
        lambda m: f"there is no template called {m[1]} (templates may extend _layout.html)",
    ),
    (
        re.compile(r"took longer than"),
        lambda m: "it takes too long to render (a loop over something very large?)",
    ),
    (re.compile(r"division by zero"), lambda m: "it divides by zero"),
]


def _kind(jinja_type: str) -> str:
    return {"dict": "variable", "str": "text", "int": "number", "list": "list"}.get(jinja_type, "value")


def explain(message: str, line: int | None, source: str | None = None) -> PlainError:
    """Say a Jinja error plainly, at the line the merchant should look at."""
    for pattern, words in RULES:
        match = pattern.search(message)
        if match:
            opened = _opened_at(source, match) if source and pattern is RULES[0][0] else None
            return PlainError(opened or line, words(match), message)
    return PlainError(line, message.rstrip("."), message)


def _opened_at(source: str, match: re.Match[str]) -> int | None:
    """The line of the innermost block still open at the end of the source (the one never closed)."""
    stack: list[tuple[str, int]] = []
    expect_name = False
    try:
        for line, kind, value in _LEXER.lex(source):
            if kind == "whitespace":
                continue
            if kind == "block_begin":
                expect_name = True
                continue
            if expect_name and kind == "name":
                if value in BLOCK_TAGS:
                    stack.append((value, line))
                elif value.startswith("end") and stack and stack[-1][0] == value[3:]:
                    stack.pop()
            expect_name = False
    except TemplateSyntaxError:
        return None
    return stack[-1][1] if stack and stack[-1][0] == match[1] else None
