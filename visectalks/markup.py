"""Inline markup used to author annotations, and its conversion to standoff spans.

Annotators mark spans inside a copy of a document instead of counting characters:

* entities: ``[[Sergei Ryabkov|PER|sergei_ryabkov]]``, nested
  ``[[Hội đồng [[NATO|ORG|nato]]-[[Nga|GPE|russia]]|ORG|nato_russia_council]]``,
  flags after a third bar: ``[[Moscow|GPE|russia|metonymy]]``;
* events: ``{{đàm phán|CONSULT|ACTUAL|geneva_talks|ACTOR=Nga;ACTOR=Mỹ;TIME=10/1}}``
  (cluster ``-`` for none; an argument value is the surface text of an entity mention in the
  same sentence, ``#2`` for its second occurrence there).

The plain text left after removing the markup must equal the document text up to whitespace
(an editor may turn a no-break space into a space); offsets are then mapped back onto the
document text by code, so they are never typed by hand.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field


class MarkupError(ValueError):
    """A markup file that cannot be parsed or does not match its document."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message if position is None else f"{message} (markup char {position})")
        self.position = position


@dataclass
class MarkedSpan:
    start: int  # offsets into the plain text (markup removed)
    end: int
    fields: list[str] = field(default_factory=list)


def parse(markup: str, open_mark: str, close_mark: str) -> tuple[str, list[MarkedSpan]]:
    """Strip ``open_mark … |fields close_mark`` spans; return plain text and spans in it."""
    plain: list[str] = []
    stack: list[tuple[int, int]] = []
    spans: list[MarkedSpan] = []
    i, n = 0, len(markup)
    while i < n:
        if markup.startswith(open_mark, i):
            stack.append((len(plain), i))
            i += len(open_mark)
        elif markup[i] == "|" and stack:
            close = markup.find(close_mark, i)
            if close < 0:
                raise MarkupError(f"no closing {close_mark!r}", i)
            label = markup[i + 1 : close]
            if open_mark in label:
                raise MarkupError("a span opens inside a label", i)
            start, _ = stack.pop()
            spans.append(MarkedSpan(start, len(plain), label.split("|")))
            i = close + len(close_mark)
        elif markup.startswith(close_mark, i):
            raise MarkupError(f"{close_mark!r} without label", i)
        else:
            plain.append(markup[i])
            i += 1
    if stack:
        raise MarkupError("unclosed span", stack[-1][1])
    return "".join(plain), spans


def align(plain: str, text: str) -> list[int]:
    """Map every position of ``plain`` (0..len) to a position of ``text``.

    Non-space characters must match one to one; runs of whitespace may differ.
    """
    mapping = [0] * (len(plain) + 1)
    i = j = 0
    while i < len(plain) or j < len(text):
        if i < len(plain) and plain[i].isspace():
            mapping[i] = j
            i += 1
        elif j < len(text) and text[j].isspace():
            j += 1
        elif i < len(plain) and j < len(text) and plain[i] == text[j]:
            mapping[i] = j
            i += 1
            j += 1
        else:
            got = plain[max(0, i - 20) : i + 20]
            raise MarkupError(f"markup text differs from the document near {got!r}", i)
    mapping[len(plain)] = len(text)
    return mapping


def to_document_spans(markup: str, text: str, open_mark: str, close_mark: str) -> list[MarkedSpan]:
    """Parse markup and return spans with offsets into the document ``text``."""
    plain, spans = parse(markup, open_mark, close_mark)
    mapping = align(plain, text)
    out = []
    for span in spans:
        if span.start == span.end:
            raise MarkupError(f"empty span with label {span.fields}")
        start = mapping[span.start]
        end = mapping[span.end - 1] + 1
        out.append(MarkedSpan(start, end, span.fields))
    return sorted(out, key=lambda s: (s.start, -s.end))


def _check(markup_path: str, text_path: str | None, kind: str) -> int:
    marks = {"entities": ("[[", "]]"), "events": ("{{", "}}")}[kind]
    markup = open(markup_path, encoding="utf-8").read()
    plain, spans = parse(markup, *marks)
    if text_path:
        text = open(text_path, encoding="utf-8").read()
        spans = to_document_spans(markup, text, *marks)
        for s in spans:
            print(f"{s.start}\t{s.end}\t{'|'.join(s.fields)}\t{text[s.start:s.end]}")
    print(f"{len(spans)} spans parsed", file=sys.stderr)
    return 0


if __name__ == "__main__":  # python markup.py entities|events MARKUP [ORIGINAL_TEXT]
    sys.exit(_check(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None, sys.argv[1]))
