"""CSV cells that a spreadsheet shows as text: one rule for every CSV the project writes."""

from __future__ import annotations

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """The value, with a leading apostrophe where a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
