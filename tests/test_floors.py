"""The floors of the house (web > jobs > adapters > domain > db > core) hold, as .importlinter writes them.

`lint-imports` runs in `make lint`; these tests state the rest of the rule: the engine loads no
framework, no package sits in an import cycle, and no code branches on a platform's name.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
ROOTS = ("app", "webhooks", "flows", "demo")
FRAMEWORKS = ("flask", "rq", "redis", "requests", "httpx")


def test_the_engine_imports_no_web_framework_queue_or_http_client():
    script = f"import sys, flows.engine; print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))"

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


def _package_of(graph: grimp.ImportGraph, module: str) -> str:
    """A module's package is the directory package holding it (a package is its own)."""
    return module if graph.find_children(module) or module in ROOTS else module.rsplit(".", 1)[0]


def _package_cycles() -> list[set[str]]:
    graph = grimp.build_graph(*ROOTS)
    edges: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            source, target = _package_of(graph, module), _package_of(graph, imported)
            if source != target and not target.startswith(source + "."):
                edges[source].add(target)
    return [group for group in _strongly_connected(edges) if len(group) > 1]


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iteratively: the groups of packages that reach each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for start in sorted(set(edges) | {t for targets in edges.values() for t in targets}):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def test_no_package_is_part_of_an_import_cycle():
    """No two packages reach each other; a package reaching into its own subpackages is containment."""
    assert _package_cycles() == []


PLATFORM_BRANCH = re.compile(
    r"""platform\s*[!=]=|[!=]=\s*(SHOPIFY|SALEOR)\b|[!=]=\s*["'](shopify|saleor)["']"""
)


def test_no_code_branches_on_a_platforms_name():
    branches = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for package in ("app", "webhooks", "flows")
        for path in sorted((ROOT / package).rglob("*"))
        if path.suffix in {".py", ".html"}  # the templates ask the shop's platform too
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PLATFORM_BRANCH.search(line)
    ]

    assert branches == []
