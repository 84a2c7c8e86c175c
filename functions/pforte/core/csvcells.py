"""Spreadsheet-safe CSV cells (OWASP CSV injection) and the way back for the import.

A cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) gets
a leading apostrophe on export. Cells that already start with apostrophes before such a character
get one more, so that stripping exactly one apostrophe on import always gives the original back.
"""

from __future__ import annotations

import re

_FORMULA_START = "=+-@\t\r"
_ESCAPED = re.compile(rf"^'+[{re.escape(_FORMULA_START)}]")
_NEEDS_ESCAPE = re.compile(rf"^'*[{re.escape(_FORMULA_START)}]")


def neutralise(value: str) -> str:
    """The cell as written to an exported file: never read as a formula."""
    return "'" + value if _NEEDS_ESCAPE.match(value) else value


def restore(value: str) -> str:
    """The cell as it was before `neutralise` (applied to imported cells)."""
    return value[1:] if _ESCAPED.match(value) else value
