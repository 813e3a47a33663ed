"""The placeholders people write, in the style each driver expects.

A statement is written in one of two styles, whatever the database:

- SQLite's: ``?`` with a sequence of parameters, ``:name`` with a mapping; ``%`` is a plain percent;
- the format drivers' (psycopg, PyMySQL): ``%s`` with a sequence, ``%(name)s`` with a mapping; ``%%`` is
  a literal percent (a statement that holds a ``%s`` or ``%(name)s`` is in this style; there, ``?`` is
  left alone, as it is PostgreSQL's jsonb operator).

Placeholders are found outside string literals, quoted identifiers and comments, and translated to the
target driver's style; values are always bound by the driver, never pasted into the text.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Text where placeholders mean nothing: literals, quoted identifiers, comments, dollar quotes.
_QUOTED = {
    "standard": r"'(?:''|[^'])*'|\"(?:\"\"|[^\"])*\"|--[^\n]*|/\*.*?\*/|\$(?P<tag>\w*)\$.*?\$(?P=tag)\$",
    # MariaDB also escapes with backslashes and quotes identifiers with backticks.
    "mysql": r"'(?:''|\\.|[^'\\])*'|\"(?:\"\"|\\.|[^\"\\])*\"|`[^`]*`|--[^\n]*|#[^\n]*|/\*.*?\*/",
}
_TOKENS = (
    r"(?P<pyformat>%\((?P<pyname>[A-Za-z_]\w*)\)s)|(?P<format>%s)|(?P<percents>%%)|(?P<percent>%)"
    r"|(?P<qmark>\?)|(?<![:\w]):(?P<name>[A-Za-z_]\w*)"
)
_PATTERNS = {flavour: re.compile(f"(?P<quoted>{quoted})|{_TOKENS}", re.DOTALL) for flavour, quoted in _QUOTED.items()}


@lru_cache(maxsize=1024)
def translate_placeholders(sql: str, dialect: str, named: bool) -> str:
    """`sql` with its placeholders (named ones when `named`, else positional) in `dialect`'s driver style."""
    pattern = _PATTERNS["mysql" if dialect == "mysql" else "standard"]
    driver_style = any(match["pyformat"] or match["format"] for match in pattern.finditer(sql))
    format_driver = dialect != "sqlite"
    if driver_style == format_driver:
        return sql  # already what the driver expects
    if driver_style:
        return pattern.sub(lambda match: _to_sqlite(match, named), sql)
    return pattern.sub(lambda match: _to_format(match, named), sql)


def _to_format(match: re.Match[str], named: bool) -> str:
    """SQLite style to format style: `?` / `:name` become `%s` / `%(name)s`, every `%` doubles."""
    if match["quoted"] is not None:
        return match["quoted"].replace("%", "%%")
    if match["qmark"] and not named:
        return "%s"
    if match["name"] and named:
        return f"%({match['name']})s"
    return match[0].replace("%", "%%")


def _to_sqlite(match: re.Match[str], named: bool) -> str:
    """Format style to SQLite style: `%s` / `%(name)s` become `?` / `:name`, `%%` a plain percent."""
    if match["quoted"] is not None:
        return match["quoted"].replace("%%", "%")
    if match["format"] and not named:
        return "?"
    if match["pyformat"] and named:
        return f":{match['pyname']}"
    return "%" if match["percents"] else match[0]
