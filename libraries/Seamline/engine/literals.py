"""One regular expression that finds any of many literal strings, in time linear in the text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

_END = ""  # a trie node's key for "a literal ends here" (no character is the empty string)
# Deeper than this (literals such as "aaa", "aaaa", "aaaaa"...), a trie's nested groups would exhaust the
# regex compiler's recursion; below it, the rest is one flat alternation: slower, as correct.
_MAX_TRIE_DEPTH = 100


def literals_pattern(literals: Iterable[str], ending: Callable[[str], str] = lambda literal: "") -> re.Pattern[str]:
    """A pattern matching any of `literals`, the longest where several start at one place; `ending(literal)`
    is a pattern that must hold where that literal ends (a look-around), or "".

    Written as a trie: where literals share a prefix it is written once, so at each place the regex engine
    tries one branch per character rather than every literal, and every branch starts with a literal, which
    lets it skip ahead by first character (1000 random tokens: 25 us a log line, against 230 us as one flat
    alternation)."""
    trie: dict[str, Any] = {}
    for literal in literals:
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node[_END] = literal
    return re.compile(_branches(trie, 0, ending))


def _branches(node: dict[str, Any], depth: int, ending: Callable[[str], str]) -> str:
    if depth >= _MAX_TRIE_DEPTH:
        return _flat_branches(node, ending)
    branches = []
    for char in sorted(key for key in node if key != _END):
        prefix, child = char, node[char]
        while len(child) == 1 and _END not in child:  # a chain without branches is one literal
            ((char, child),) = child.items()
            prefix += char
        branches.append(re.escape(prefix) + _branches(child, depth + 1, ending))
    # A literal ending here comes last: where a longer one matches too, the longer one wins.
    if _END in node:
        branches.append(ending(node[_END]))
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _flat_branches(node: dict[str, Any], ending: Callable[[str], str]) -> str:
    suffixes: list[tuple[str, str]] = []  # (the rest of a literal below this node, the whole literal)
    pending = [("", node)]
    while pending:
        prefix, current = pending.pop()
        for char, child in current.items():
            if char == _END:
                suffixes.append((prefix, child))
            else:
                pending.append((prefix + char, child))
    suffixes.sort(key=lambda suffix: len(suffix[0]), reverse=True)
    return "(?:" + "|".join(re.escape(rest) + ending(literal) for rest, literal in suffixes) + ")"
