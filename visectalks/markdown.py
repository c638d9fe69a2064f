"""Escaping text for the Markdown the project generates (dataset card, datasheet, docs).

Values that come from data files (metadata, label definitions) are shown as text: HTML is
entity-escaped and pipes cannot break a table row.
"""
from __future__ import annotations

import html


def cell(value: object) -> str:
    """A Markdown table cell showing ``value`` as plain text."""
    text = html.escape(str(value), quote=False).replace("|", "\\|")
    return " ".join(text.split())
