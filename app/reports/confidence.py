"""95 % confidence intervals for comparing a treated group with a held-out one.

- A difference of two proportions (conversion rates): Newcombe's hybrid score interval ("method
  10", Newcombe 1998), built from each group's Wilson score interval. Unlike the plain Wald
  interval it stays inside [-1, 1] and behaves with small groups and rates near 0 or 1, which is
  what a young flow with a 10 % holdout has.
- A difference of two means (revenue per enrollment): the normal approximation with each group's
  own variance (Welch's standard error); order values are skewed, so it wants a few dozen
  enrollments per group before it means much.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(successes: int, trials: int, z: float = Z_95) -> Interval:
    """Return the Wilson score interval of a proportion."""
    if trials <= 0:
        raise ValueError("a proportion needs at least one trial")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def difference_of_proportions(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, z: float = Z_95
) -> Interval | None:
    """Return Newcombe's interval for p_a - p_b, or None when a group is empty."""
    if trials_a <= 0 or trials_b <= 0:
        return None
    p_a, p_b = successes_a / trials_a, successes_b / trials_b
    a, b = wilson(successes_a, trials_a, z), wilson(successes_b, trials_b, z)
    difference = p_a - p_b
    return Interval(
        difference - math.sqrt((p_a - a.low) ** 2 + (b.high - p_b) ** 2),
        difference + math.sqrt((a.high - p_a) ** 2 + (p_b - b.low) ** 2),
    )


def difference_of_means(a: Sequence[float], b: Sequence[float], z: float = Z_95) -> Interval | None:
    """Return the normal-approximation interval for mean(a) - mean(b), or None below two values each."""
    if len(a) < 2 or len(b) < 2:
        return None
    difference = _mean(a) - _mean(b)
    error = math.sqrt(_variance(a) / len(a) + _variance(b) / len(b))
    return Interval(difference - z * error, difference + z * error)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _variance(values: Sequence[float]) -> float:
    mean = _mean(values)
    return sum((value - mean) ** 2 for value in values) / (len(values) - 1)
