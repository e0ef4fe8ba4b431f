"""Spreadsheet exports: CSV answers that a spreadsheet opens as data, never as formulas.

A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is run as a
formula by Excel, LibreOffice and Google Sheets; a customer's name or a note typed as
``=HYPERLINK(...)`` must not become one when a manager opens the export. The csv module does the
quoting (commas, quotes, newlines); ``cell`` does the rest.
"""

from __future__ import annotations

import csv

from django.http import HttpResponse


def cell(text: str) -> str:
    """A text cell a spreadsheet would run as a formula starts with an apostrophe instead."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    """A CSV download of ``rows`` under ``header``: text cells through ``cell``, numbers as
    they are."""
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value) if isinstance(value, str) else value for value in row])
    return response
