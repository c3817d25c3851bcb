"""The A/B winner rule: each variant's probability of being best, and when that declares a winner.

Each variant's rate (clicks or placed orders per message sent) gets a Beta(1 + successes,
1 + failures) posterior: a uniform prior updated by what was seen. The probability that a variant
is best is the probability that its rate is above every other variant's, under those posteriors.

- Two variants: Evan Miller's closed form ("Formulas for Bayesian A/B Testing", 2015), exact,
  a sum of ``alpha_B`` terms computed in log space:
  P(p_B > p_A) = sum_{i=0}^{alpha_B - 1} B(alpha_A + i, beta_A + beta_B)
                 / ((beta_B + i) B(1 + i, beta_B) B(alpha_A, beta_A)).
- Three or four variants: the integral P(k best) = ∫ f_k(x) prod_{j != k} F_j(x) dx, by the
  trapezoid rule on a fine grid of [0, 1] with each density normalised on that grid, so the answer
  is deterministic (no random draws) and stable far within 0.5 %.

A winner is declared only when every variant has at least the minimum sample (messages sent) and
the best variant's probability reaches the threshold (docs/ab-tests.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.core.i18n import N_, Phrase

# Grid points on [0, 1] for three or four variants: posteriors of 10,000 sends are still ~30 points wide.
GRID = 20_000


@dataclass(frozen=True)
class Arm:
    """What one variant has shown so far: messages sent, and how many of them succeeded."""

    name: str
    trials: int
    successes: int

    @property
    def alpha(self) -> int:
        return 1 + self.successes

    @property
    def beta(self) -> int:
        return 1 + max(self.trials - self.successes, 0)


@dataclass(frozen=True)
class Verdict:
    """The rule's answer: each variant's chance of being best, and the winner if there is one yet."""

    chances: dict[str, float]
    winner: str | None
    reason: str


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def probability_b_beats_a(a: Arm, b: Arm) -> float:
    """Evan Miller's exact P(p_B > p_A) for Beta(alpha, beta) posteriors with whole-number parameters."""
    alpha_a, beta_a, alpha_b, beta_b = a.alpha, a.beta, b.alpha, b.beta
    total = 0.0
    for i in range(alpha_b):
        total += math.exp(
            _log_beta(alpha_a + i, beta_a + beta_b)
            - math.log(beta_b + i)
            - _log_beta(1 + i, beta_b)
            - _log_beta(alpha_a, beta_a)
        )
    return min(max(total, 0.0), 1.0)


def chances_of_being_best(arms: Sequence[Arm]) -> dict[str, float]:
    """Return each variant's probability of having the highest rate (they sum to 1)."""
    return dict(_chances(tuple(arms)))


# The flow page and the minute tick ask again with the same counts until new sends or clicks come
# in, and three or four variants cost ~0.25 s of CPU by integration (measured): answer repeats from memory.
@lru_cache(maxsize=1024)
def _chances(arms: tuple[Arm, ...]) -> dict[str, float]:
    if len(arms) < 2:
        return {arm.name: 1.0 for arm in arms}
    if len(arms) == 2:
        b_wins = probability_b_beats_a(arms[0], arms[1])
        return {arms[0].name: 1.0 - b_wins, arms[1].name: b_wins}
    return chances_by_integration(arms)


def chances_by_integration(arms: Sequence[Arm]) -> dict[str, float]:
    """P(k best) = ∫ f_k prod F_j, trapezoid rule on a uniform grid, densities normalised on it."""
    step = 1.0 / GRID
    xs = [i * step for i in range(GRID + 1)]
    densities = [_density_on_grid(arm, xs) for arm in arms]
    cdfs = [_cumulative(density, step) for density in densities]
    chances = {}
    for k, arm in enumerate(arms):
        values = []
        for i in range(GRID + 1):
            value = densities[k][i]
            for j in range(len(arms)):
                if j != k:
                    value *= cdfs[j][i]
            values.append(value)
        chances[arm.name] = _trapezoid(values, step)
    total = sum(chances.values())
    return {name: chance / total for name, chance in chances.items()}


def _density_on_grid(arm: Arm, xs: list[float]) -> list[float]:
    """The Beta density at each grid point, scaled so its trapezoid integral is exactly 1."""
    a, b = arm.alpha, arm.beta
    log_norm = _log_beta(a, b)
    values = []
    for x in xs:
        if (x == 0.0 and a > 1) or (x == 1.0 and b > 1):
            values.append(0.0)
            continue
        log_x = (a - 1) * math.log(x) if a > 1 else 0.0
        log_1x = (b - 1) * math.log(1.0 - x) if b > 1 else 0.0
        values.append(math.exp(log_x + log_1x - log_norm))
    area = _trapezoid(values, xs[1] - xs[0])
    return [value / area for value in values]


def _cumulative(density: list[float], step: float) -> list[float]:
    cumulative = [0.0]
    for i in range(1, len(density)):
        cumulative.append(cumulative[-1] + (density[i - 1] + density[i]) * step / 2)
    return cumulative


def _trapezoid(values: list[float], step: float) -> float:
    return step * (sum(values) - (values[0] + values[-1]) / 2)


def verdict(arms: Sequence[Arm], minimum_sample: int, threshold: float) -> Verdict:
    """Apply the rule: a winner once every variant has ``minimum_sample`` sends and one's chance of
    being best reaches ``threshold`` (0.95 for 95 %); otherwise say what is still missing."""
    chances = chances_of_being_best(arms)
    short = [arm.name for arm in arms if arm.trials < minimum_sample]
    if short:
        return Verdict(
            chances,
            None,
            Phrase(
                N_("waiting for %(count)d sends of %(variants)s"),
                count=minimum_sample,
                variants=", ".join(short),
            ),
        )
    best = max(arms, key=lambda arm: chances[arm.name]).name
    if chances[best] < threshold:
        return Verdict(
            chances,
            None,
            Phrase(
                N_("%(best)s leads with %(chance)s chance of being best, short of %(threshold)s"),
                best=best,
                chance=f"{chances[best]:.1%}",
                threshold=f"{threshold:.0%}",
            ),
        )
    return Verdict(
        chances,
        best,
        Phrase(
            N_("%(best)s has %(chance)s chance of being best (threshold %(threshold)s)"),
            best=best,
            chance=f"{chances[best]:.1%}",
            threshold=f"{threshold:.0%}",
        ),
    )
