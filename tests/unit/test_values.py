"""The one comparison rule: booleans written as words against what drivers and CSV files return."""

from decimal import Decimal

import pytest

from Seamline.engine.values import values_equal


@pytest.mark.parametrize(
    ("actual", "expected", "equal"),
    [
        (1, "true", True),  # SQLite and MariaDB return 1 for TRUE
        (0, "False", True),
        (Decimal(1), "TRUE", True),
        (1, "false", False),
        (2, "true", False),
        ("true", "True", True),  # a CSV field "true" is the test's True
        ("false", "true", False),
        ("true", "1", False),  # two texts that are not both true/false words compare as text
        ("true", "yes", False),
        ("abc", "true", False),
        (None, "false", False),
    ],
)
def test_true_and_false_words(actual, expected, equal):
    assert values_equal(actual, expected) is equal
