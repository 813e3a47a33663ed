"""The keyword documentation libdoc shows: examples, seam tags, timeouts, msg= and the intro's sections."""

from datetime import timedelta

import pytest

from Seamline import Seamline

LIBRARY = Seamline()
KEYWORDS = LIBRARY.get_keyword_names()
SEAMS = {
    "HTTP",
    "Contracts",
    "SQL",
    "SSH",
    "Records",
    "Messages",
    "Services",
    "Timeline",
    "Faults",
    "Inputs",
    "Reconcile",
}


def _defaults(name: str) -> dict[str, object]:
    """The keyword's arguments that have a default, with it (libdoc's view of the signature)."""
    return {arg[0]: arg[1] for arg in LIBRARY.get_keyword_arguments(name) if isinstance(arg, tuple)}


def _arguments(name: str) -> set[str]:
    return {(arg[0] if isinstance(arg, tuple) else arg).lstrip("*") for arg in LIBRARY.get_keyword_arguments(name)}


def _is_timeout(argument: str) -> bool:
    return argument in ("timeout", "within") or argument.endswith("_timeout")


def test_the_library_has_keywords_of_every_seam():
    assert {"start_service", "get_timeline"} <= set(KEYWORDS)


@pytest.mark.parametrize("name", KEYWORDS)
def test_keyword_has_documentation_with_an_example(name):
    doc = LIBRARY.get_keyword_documentation(name)
    assert doc.strip(), f"{name} has no documentation"
    example_rows = [line for line in doc.splitlines() if line.strip().startswith("|")]
    assert example_rows, f"{name} has no example row (| Keyword | arg |)"


@pytest.mark.parametrize("name", KEYWORDS)
def test_keyword_carries_exactly_one_seam_tag(name):
    seams = SEAMS & set(LIBRARY.get_keyword_tags(name))
    assert len(seams) == 1, f"{name} has seam tags {sorted(seams)}; libdoc groups keywords by one of {sorted(SEAMS)}"


@pytest.mark.parametrize("name", KEYWORDS)
def test_every_timeout_defaults_to_the_library_default(name):
    hard_coded = {arg: value for arg, value in _defaults(name).items() if _is_timeout(arg) and value is not None}
    assert not hard_coded, f"{name}: timeouts must default to None (the import-time default), not {hard_coded}"


@pytest.mark.parametrize("name", KEYWORDS)
def test_time_defaults_show_as_robot_time_strings(name):
    # libdoc renders a timedelta default as 0:00:00.200000; a string such as "200ms" reads as Robot time.
    shown = {arg: str(value) for arg, value in _defaults(name).items() if isinstance(value, timedelta)}
    assert not shown, f"{name}: time defaults libdoc shows as {shown}; write them as Robot time strings"


@pytest.mark.parametrize("name", [name for name in KEYWORDS if "_should_" in name])
def test_every_assertion_keyword_takes_msg(name):
    assert "msg" in _arguments(name), f"{name} is an assertion keyword without msg="


def test_library_introduction_has_the_sections_users_look_for():
    intro = LIBRARY.get_keyword_documentation("__intro__")
    assert "%TOC%" in intro
    for section in (
        "= Comparing values =",
        "= Connections =",
        "= Timeouts =",
        "= Failures =",
        "= Secrets =",
        "= Contracts =",
        "= The timeline =",
        "= Hops =",
        "= Databases =",
        "= Messages =",
        "= Legacy systems =",
        "= Services =",
        "= Faults =",
    ):
        assert section in intro


def test_the_introduction_names_each_seams_connection_keywords():
    intro = LIBRARY.get_keyword_documentation("__intro__")
    for seam in ("Api", "Sql", "Broker", "Ssh"):
        for verb in ("Connect To", "Disconnect From", "Switch"):
            assert f"`{verb} {seam}`" in intro, f"{verb} {seam}"


def test_arguments_named_after_python_reserved_words_read_as_robot_writes_them():
    assert ("for", None) in LIBRARY.get_keyword_arguments("add_latency")
    assert "for" in LIBRARY.get_keyword_types("add_latency")
    assert not any(str(arg).startswith(("for_", "('for_'")) for arg in LIBRARY.get_keyword_arguments("cut_connections"))
