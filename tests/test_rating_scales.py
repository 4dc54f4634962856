"""The rating scales and the periods of the office's statistics, as both programs read them (protocol/).

Plain values, no store: what a choice's key and score mean, which count as satisfied or negative, and how a
month or a day given the office's way (民國 115/11) is read.
"""

from datetime import date

import pytest

from protocol.periods import Period
from protocol.ratings import Scale


# -- scales ---------------------------------------------------------------------------------------


def test_three_point_scale_counts_only_the_top_as_satisfied_and_only_the_bottom_as_negative():
    scale = Scale.of_size(3)
    assert [(c.key, c.score, c.label) for c in scale.choices] == [
        ("smile", 3, "滿意"), ("neutral", 2, "普通"), ("frown", 1, "不滿意")]
    assert [scale.satisfied(s) for s in (3, 2, 1)] == [True, False, False]
    assert [scale.negative(s) for s in (3, 2, 1)] == [False, False, True]


def test_five_point_scale_counts_the_top_two_as_satisfied_and_the_bottom_two_as_negative():
    scale = Scale.of_size(5)
    assert [c.label for c in scale.choices] == ["非常滿意", "滿意", "普通", "不滿意", "非常不滿意"]
    assert [c.score for c in scale.choices] == [5, 4, 3, 2, 1]
    assert [scale.satisfied(s) for s in (5, 4, 3, 2, 1)] == [True, True, False, False, False]
    assert [scale.negative(s) for s in (5, 4, 3, 2, 1)] == [False, False, False, True, True]


@pytest.mark.parametrize("size", [0, 2, 4, 6])
def test_only_three_or_five_choices_are_a_scale(size):
    with pytest.raises(ValueError, match=r"3 or 5 choices"):
        Scale.of_size(size)


@pytest.mark.parametrize("size, key, index", [
    (3, "smile", 0), (3, "neutral", 1), (3, "frown", 2), (3, "1", 0), (3, "3", 2),
    (5, "smile", 0), (5, "neutral", 2), (5, "frown", 4), (5, "very_satisfied", 0), (5, "satisfied", 1),
    (5, "dissatisfied", 3), (5, "very_dissatisfied", 4), (5, "1", 0), (5, "5", 4),
])
def test_index_of_takes_faces_choice_names_and_button_numbers(size, key, index):
    assert Scale.of_size(size).index_of(key) == index


@pytest.mark.parametrize("size, key", [(3, "nope"), (3, "4"), (3, "0"), (5, "6"), (5, "happy"), (3, "")])
def test_a_bad_key_is_refused_with_the_keys_that_work(size, key):
    with pytest.raises(ValueError) as info:
        Scale.of_size(size).index_of(key)
    message = str(info.value)
    assert repr(key) in message
    assert "smile, neutral, frown" in message and f"1-{size}" in message
    if size == 5:
        assert "very_satisfied" in message and "very_dissatisfied" in message


def test_choice_out_of_range_is_refused():
    with pytest.raises(IndexError, match=r"no choice 3 on a scale of 3"):
        Scale.of_size(3).choice(3)


# -- periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize("month, first, last", [
    ("115/11", date(2026, 11, 1), date(2026, 11, 30)),
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ("115/2", date(2026, 2, 1), date(2026, 2, 28)),
    ("113/02", date(2024, 2, 1), date(2024, 2, 29)),
])
def test_a_month_is_parsed_in_the_roc_calendar_or_iso(month, first, last):
    period = Period.parse(month=month)
    assert (period.first, period.last) == (first, last)
    assert period.name == f"民國{first.year - 1911}年{first.month}月"


def test_a_day_is_parsed_in_the_roc_calendar_or_iso():
    assert Period.parse(day="115/11/27") == Period(date(2026, 11, 27), date(2026, 11, 27), "民國115年11月27日")
    assert Period.parse(day="2026-11-27").first == date(2026, 11, 27)


def test_no_period_means_this_month():
    period = Period.parse(today=date(2026, 11, 27))
    assert (period.first, period.last) == (date(2026, 11, 1), date(2026, 11, 30))


@pytest.mark.parametrize("kwargs, expected", [
    ({"month": "11/2026"}, r"expected a month such as 115/11 \(ROC year\), got '11/2026'"),
    ({"month": "nov"}, r"expected a month such as 115/11"),
    ({"month": "115/11/27"}, r"expected a month such as 115/11"),
    ({"day": "115/11"}, r"expected a day such as 115/11/27 \(ROC year\), got '115/11'"),
    ({"day": "yesterday"}, r"expected a day such as 115/11/27"),
    ({"month": "115/13"}, r"'115/13' is not a real date"),
    ({"day": "115/02/30"}, r"'115/02/30' is not a real date"),
])
def test_a_bad_period_names_the_expected_form(kwargs, expected):
    with pytest.raises(ValueError, match=expected):
        Period.parse(**kwargs)
