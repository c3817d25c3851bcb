"""The A/B winner rule gives known answers: Evan Miller's closed form for two variants, the
integral for three and four, and the minimum-sample and threshold gates (docs/ab-tests.md)."""

from __future__ import annotations

import random
from fractions import Fraction
from math import comb, factorial

import pytest

from flows.ab_rule import Arm, chances_by_integration, chances_of_being_best, probability_b_beats_a, verdict


def exact_b_beats_a(a: Arm, b: Arm) -> Fraction:
    """P(p_B > p_A) by an independent route: ∫ f_B(x) F_A(x) dx with the Beta CDF written as a
    binomial tail, each term an exact Beta integral (a double sum in whole numbers)."""

    def beta(x: int, y: int) -> Fraction:
        return Fraction(factorial(x - 1) * factorial(y - 1), factorial(x + y - 1))

    n = a.alpha + a.beta - 1
    return sum(
        (
            comb(n, j) * beta(b.alpha + j, b.beta + n - j) / beta(b.alpha, b.beta)
            for j in range(a.alpha, n + 1)
        ),
        Fraction(0),
    )


def test_equal_data_gives_each_of_two_variants_a_half():
    assert probability_b_beats_a(Arm("A", 200, 20), Arm("B", 200, 20)) == pytest.approx(0.5, abs=1e-12)


def test_one_success_against_no_data_is_two_thirds_as_worked_by_hand():
    # Beta(2, 1) against Beta(1, 1): ∫ 2x · x dx = 2/3.
    assert probability_b_beats_a(Arm("A", 0, 0), Arm("B", 1, 1)) == pytest.approx(2 / 3, abs=1e-12)
    assert probability_b_beats_a(Arm("A", 0, 0), Arm("B", 1, 0)) == pytest.approx(1 / 3, abs=1e-12)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (Arm("A", 100, 10), Arm("B", 100, 20)),
        (Arm("A", 50, 3), Arm("B", 60, 9)),
        (Arm("A", 120, 40), Arm("B", 80, 21)),
        (Arm("A", 30, 0), Arm("B", 30, 2)),
    ],
)
def test_the_closed_form_matches_an_exact_double_sum(a, b):
    assert probability_b_beats_a(a, b) == pytest.approx(float(exact_b_beats_a(a, b)), abs=1e-9)


def test_a_clear_difference_is_near_certain():
    # 10 % against 20 % of 100 sends each: B is best with about 97.5 % (the exact double sum says 0.97517).
    assert probability_b_beats_a(Arm("A", 100, 10), Arm("B", 100, 20)) == pytest.approx(
        float(exact_b_beats_a(Arm("A", 100, 10), Arm("B", 100, 20))), abs=1e-9
    )
    assert 0.97 < probability_b_beats_a(Arm("A", 100, 10), Arm("B", 100, 20)) < 0.98


@pytest.mark.parametrize("count", [3, 4])
def test_symmetric_variants_share_the_chance_equally(count):
    chances = chances_of_being_best([Arm("ABCD"[i], 1000, 100) for i in range(count)])

    assert list(chances.values()) == pytest.approx([1 / count] * count, abs=1e-9)


def test_three_and_four_variants_give_the_answers_worked_by_hand():
    # Beta(2, 1) against uniform rivals: ∫ 2x · x² dx = 1/2 with two, ∫ 2x · x³ dx = 2/5 with three.
    three = chances_of_being_best([Arm("A", 1, 1), Arm("B", 0, 0), Arm("C", 0, 0)])
    four = chances_of_being_best([Arm("A", 1, 1), Arm("B", 0, 0), Arm("C", 0, 0), Arm("D", 0, 0)])

    assert three == pytest.approx({"A": 1 / 2, "B": 1 / 4, "C": 1 / 4}, abs=1e-4)
    assert four == pytest.approx({"A": 2 / 5, "B": 1 / 5, "C": 1 / 5, "D": 1 / 5}, abs=1e-4)


@pytest.mark.parametrize(
    ("a", "b"),
    [(Arm("A", 100, 10), Arm("B", 100, 20)), (Arm("A", 10_000, 300), Arm("B", 10_000, 340))],
)
def test_the_integral_agrees_with_the_closed_form_well_within_half_a_percent(a, b):
    assert chances_by_integration([a, b])["B"] == pytest.approx(probability_b_beats_a(a, b), abs=0.001)


def test_the_integral_agrees_with_a_seeded_monte_carlo_for_three_variants():
    arms = [Arm("A", 400, 40), Arm("B", 400, 52), Arm("C", 400, 47)]
    draws = random.Random(18)
    wins = {arm.name: 0 for arm in arms}
    for _ in range(100_000):
        rates = {arm.name: draws.betavariate(arm.alpha, arm.beta) for arm in arms}
        wins[max(rates, key=rates.__getitem__)] += 1

    chances = chances_of_being_best(arms)

    for arm in arms:
        assert chances[arm.name] == pytest.approx(wins[arm.name] / 100_000, abs=0.005)


def test_no_winner_until_every_variant_has_the_minimum_sample():
    ruled = verdict([Arm("A", 1000, 10), Arm("B", 99, 60)], minimum_sample=100, threshold=0.95)

    assert ruled.chances["B"] > 0.99
    assert ruled.winner is None
    assert ruled.reason == "waiting for 100 sends of B"


def test_no_winner_until_the_best_passes_the_threshold():
    ruled = verdict([Arm("A", 100, 10), Arm("B", 100, 20)], minimum_sample=100, threshold=0.98)

    assert ruled.winner is None
    assert ruled.reason.startswith("B leads with 97.5% chance of being best, short of 98%")


def test_a_winner_once_both_gates_pass():
    ruled = verdict([Arm("A", 100, 10), Arm("B", 100, 20)], minimum_sample=100, threshold=0.95)

    assert ruled.winner == "B"
    assert ruled.reason == "B has 97.5% chance of being best (threshold 95%)"


def test_the_same_counts_asked_twice_are_answered_alike_and_a_caller_cannot_spoil_the_memory():
    arms = [Arm("A", 200, 20), Arm("B", 200, 24), Arm("C", 200, 30)]

    first = chances_of_being_best(arms)
    first["A"] = 99.0

    assert chances_of_being_best(arms) != first
    assert chances_of_being_best(arms) == chances_of_being_best(list(arms))
