"""Choosing the next question by expected information gain."""

from __future__ import annotations

import pytest

from medcite.symptoms.interview import best_question, entropy, information_gain


def test_entropy_of_a_fair_coin_is_one_bit() -> None:
    assert entropy([0.5, 0.5]) == pytest.approx(1.0)


def test_a_perfectly_separating_finding_gains_all_the_uncertainty() -> None:
    assert information_gain([0.5, 0.5], [1.0, 0.0]) == pytest.approx(1.0)


def test_a_finding_every_candidate_shares_gains_nothing() -> None:
    assert information_gain([0.5, 0.5], [0.7, 0.7]) == pytest.approx(0.0)


def test_the_most_separating_finding_is_asked() -> None:
    options = {"f:shared": [0.9, 0.9], "f:weak": [0.6, 0.4], "f:strong": [0.95, 0.05]}
    best = best_question([0.5, 0.5], options)
    assert best is not None
    assert best[0] == "f:strong"
    assert best[1] == pytest.approx(0.714, abs=1e-3)


def test_equal_gains_are_broken_by_id() -> None:
    options = {"f:b": [1.0, 0.0], "f:a": [0.0, 1.0]}
    assert best_question([0.5, 0.5], options) is not None
    assert best_question([0.5, 0.5], options)[0] == "f:a"  # type: ignore[index]


def test_nothing_is_asked_when_no_question_helps() -> None:
    assert best_question([1.0, 0.0], {"f:x": [0.5, 0.5]}) is None
