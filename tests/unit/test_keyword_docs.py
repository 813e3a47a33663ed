"""Every keyword is documented with at least one runnable example row, as libdoc shows it."""

import pytest

from Seamline import Seamline

LIBRARY = Seamline()
KEYWORDS = LIBRARY.get_keyword_names()


def test_the_library_has_keywords_of_every_seam():
    assert {"start_service", "get_timeline"} <= set(KEYWORDS)


@pytest.mark.parametrize("name", KEYWORDS)
def test_keyword_has_documentation_with_an_example(name):
    doc = LIBRARY.get_keyword_documentation(name)
    assert doc.strip(), f"{name} has no documentation"
    example_rows = [line for line in doc.splitlines() if line.strip().startswith("|")]
    assert example_rows, f"{name} has no example row (| Keyword | arg |)"


def test_library_introduction_has_the_sections_users_look_for():
    intro = LIBRARY.get_keyword_documentation("__intro__")
    for section in ("= Connections =", "= Timeouts =", "= Secrets =", "= The timeline ="):
        assert section in intro
