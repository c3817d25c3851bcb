"""Bounds on merchant templates: wall time per render, and the size of what one can build.

A merchant's template runs in a worker thread that every shop shares (a gunicorn gthread worker for
the preview, the RQ worker at send time), so one slow template used to stall everyone: a preview of
``{{ (3**(10**8)) % 7 }}`` pinned a web worker until gunicorn killed it (31 s), and a template slow
for some shoppers held the worker for 82 s.

How the time limit works, and why this way: a signal alarm only works in a process's main thread,
and a thread cannot be stopped from outside, so the check is cooperative and runs in the thread that
renders. ``BoundedSandbox`` checks the render's deadline at every point where template code can
repeat or do work: each loop iteration (the code generator wraps every ``{% for %}`` iterable), every
call (macros, ``caller()``, ``loop()``, methods), every attribute or item lookup, the operators that
can grow a value, and every filter. Template code has no other way to loop, so the time between two
checks is one bounded operation. A single C-level operation cannot be interrupted at all, which is
why the operators and calls that could run for minutes in one step (``**`` and ``*`` on huge
numbers, repetition into gigabytes, widths of a billion) are refused before they run, and why every
string, list or output a template builds is held to ``MAX_LENGTH``. The alternative, rendering in a
subprocess that can be killed, bounds even C code but costs a process per web and worker process
and pickling every context. The cooperative check costs about 0.1 ms per three-part email (0.4 ms
rendered instead of 0.3; 7.5 ms with the compile every send does) and about 2 µs per loop
iteration (bench/template_render.py, figures in bench/README.md).

The deadline is a context variable, so each thread (and each render) has its own. Only merchant
templates are compiled with this sandbox; the bundled templates are ours and render unchecked.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from jinja2 import Template, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Macro
from jinja2.sandbox import SandboxedEnvironment

from app.core.errors import StoreflowError

# Wall time for all the parts of one message. Merchant templates render in a few milliseconds
# (bench/template_render.py); this is a hundred times that, and what a web or worker thread can give.
RENDER_SECONDS = 0.5
# The longest string or list a template may build, its output included: a 1 MB email is far past
# what any mail client shows (Gmail clips at 102 kB).
MAX_LENGTH = 1_000_000
# The largest integer a template may compute (about 2,400 digits): past Python's 4,300-digit limit
# an integer cannot even be printed, and each step of squaring costs more than the last.
MAX_INT_BITS = 8_192

_deadline: ContextVar[float | None] = ContextVar("template_deadline", default=None)


class TemplateLimitError(StoreflowError, SecurityError):
    """A merchant's template went past one of the bounds: it is broken, like a syntax error."""


@contextmanager
def time_limit(seconds: float = RENDER_SECONDS) -> Iterator[None]:
    """Give the renders inside this block (one message's parts) one deadline, in this thread only."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def check_time() -> None:
    """Stop the render when its deadline has passed; renders outside ``time_limit`` have none."""
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise TemplateLimitError(f"took longer than {RENDER_SECONDS:g} s to render")


def render_bounded(template: Template, context: Mapping[str, Any]) -> str:
    """Render, stopping as soon as the output passes ``MAX_LENGTH``."""
    chunks, length = [], 0
    for chunk in template.generate(context):
        length += len(chunk)
        if length > MAX_LENGTH:
            raise TemplateLimitError(f"its output is longer than {MAX_LENGTH:,} characters")
        chunks.append(chunk)
    return "".join(chunks)


def _bounded(value: Any) -> Any:
    """Refuse a string, list or integer past the limits; pass anything else through."""
    if isinstance(value, str | list | tuple) and len(value) > MAX_LENGTH:
        raise TemplateLimitError(f"builds a value longer than {MAX_LENGTH:,}")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise TemplateLimitError("builds a number too large")
    return value


def _refuse_huge_arguments(args: Iterable[Any]) -> None:
    """Refuse an integer argument past MAX_LENGTH: widths and counts that large only allocate."""
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_LENGTH:
            raise TemplateLimitError(f"passes a number above {MAX_LENGTH:,} where a size or count goes")


def _power(left: Any, right: Any) -> Any:
    growing = isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
    if growing and right * math.log2(abs(left)) > MAX_INT_BITS:
        raise TemplateLimitError("computes a power too large")
    return left**right


def _product(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
            raise TemplateLimitError("computes a product too large")
    elif isinstance(right, int) and isinstance(left, str | list | tuple):
        _refuse_repetition(left, right)
    elif isinstance(left, int) and isinstance(right, str | list | tuple):
        _refuse_repetition(right, left)
    return left * right


def _refuse_repetition(sequence: str | list[Any] | tuple[Any, ...], times: int) -> None:
    if len(sequence) * times > MAX_LENGTH:
        raise TemplateLimitError(f"repeats a value past {MAX_LENGTH:,}")


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter so it checks the deadline and the size of its arguments and of its result."""

    # A filter marked pass_context (or pass_environment, pass_eval_context) gets that first, then
    # its value; the value itself may be any size (an id), only the arguments after it are sizes.
    skip = 2 if hasattr(function, "jinja_pass_arg") else 1

    @wraps(function)  # keeps Jinja's pass_context / pass_environment marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        check_time()
        _refuse_huge_arguments(args[skip:])
        _refuse_huge_arguments(kwargs.values())
        return _bounded(function(*args, **kwargs))

    return bounded


class _BoundedFilters(dict[str, Callable[..., Any]]):
    """The filter table, handing compiled templates the bounded form of each filter."""

    def __getitem__(self, name: str) -> Callable[..., Any]:
        return _bounded_filter(super().__getitem__(name))

    def get(self, name: str, default: Any = None) -> Any:
        """What ``map('center', ...)`` and ``select`` look filters up with."""
        return self[name] if name in self else default  # noqa: SIM401 - self.get would recurse


class BoundedCodeGenerator(CodeGenerator):
    """Compile loops so each iteration checks the deadline, and ``~`` so its result is bounded."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        checked = nodes.Call(
            nodes.EnvironmentAttribute("checked_iteration"), [node.iter], [], None, None, lineno=node.lineno
        )
        loop = nodes.For(
            node.target, checked, node.body, node.else_, node.test, node.recursive, lineno=node.lineno
        )
        super().visit_For(loop, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_value(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox, with the deadline checked wherever template code does work, and size limits."""

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # lipsum(n) loops in Python outside the template, where no check can reach; no message needs it.
        del self.globals["lipsum"]
        self.filters = _BoundedFilters(self.filters)
        self.binop_table = {**self.binop_table, "**": _power, "*": _product}

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """Join a macro's or a ``{% set %}`` block's output, refusing it past MAX_LENGTH."""
        joined = "".join(parts)
        return str(_bounded(joined))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        check_time()
        return _bounded(self.binop_table[operator](left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        check_time()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        check_time()
        return super().getitem(obj, argument)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        check_time()
        if not isinstance(__obj, Macro):  # a macro's arguments are the merchant's own values (ids)
            _refuse_huge_arguments(args)  # str.ljust(10**9), range(10**9) and the like
            _refuse_huge_arguments(kwargs.values())
        return _bounded(super().call(__context, __obj, *args, **kwargs))

    @staticmethod
    def checked_iteration(iterable: Iterable[Any]) -> Iterator[Any]:
        """Iterate, checking the deadline before each item (the only way template code repeats)."""
        for item in iterable:
            check_time()
            yield item

    @staticmethod
    def bounded_value(value: Any) -> Any:
        return _bounded(value)
