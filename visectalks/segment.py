"""Segmentation of a document into paragraphs, quotations, sentences, syllables and words.

All functions return half-open ``(start, end)`` code-point offsets into the unchanged text.
Sentence splitting is rule based so that its behaviour on dates ("10/1/2022", "ngày 12/1"),
numbers ("100.000"), abbreviations and quotations is explicit and tested; words come from a
Vietnamese word segmenter and are aligned onto the syllable tokens.
"""
from __future__ import annotations

import re
from functools import lru_cache

SYLLABLE_RE = re.compile(r"\d+(?:[.,/:]\d+)*%?|\w+|[^\w\s]")
TERMINALS = ".!?…"
CLOSERS = "”’\")]»"
PAIRED_QUOTES = {"“": "”", "‘": "’", "«": "»"}
STRAIGHT_QUOTES = "\"'"
# Abbreviations after which a full stop does not end a sentence.
ABBREVIATIONS = frozenset({"TP", "Tp", "ThS", "TS", "PGS", "GS", "Mr", "Mrs", "Ms", "Dr", "St", "Th", "v.v", "vs", "No", "tr", "Nxb"})


def paragraphs(text: str) -> list[tuple[int, int]]:
    """One paragraph per line that holds non-whitespace text, trimmed of surrounding spaces."""
    spans = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + (len(line) - len(line.lstrip()))
            spans.append((start, start + len(stripped)))
        pos += len(line) + 1
    return spans


def quotes(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """Quotation spans inside one paragraph, marks included: (start, end, opening mark).

    Curly quotes pair by nesting; a straight quote opens when it follows a space, an opening
    bracket or the paragraph start, and closes otherwise. Unbalanced marks yield no span.
    """
    found: list[tuple[int, int, str]] = []
    stack: list[tuple[str, int]] = []
    for i in range(start, end):
        ch = text[i]
        if ch in PAIRED_QUOTES:
            stack.append((ch, i))
        elif ch in PAIRED_QUOTES.values():
            for depth in range(len(stack) - 1, -1, -1):
                if PAIRED_QUOTES.get(stack[depth][0]) == ch:
                    found.append((stack[depth][1], i + 1, stack[depth][0]))
                    del stack[depth:]
                    break
        elif ch in STRAIGHT_QUOTES:
            prev = text[i - 1] if i > start else " "
            if stack and stack[-1][0] == ch and not (prev.isspace() or prev in "([“‘"):
                found.append((stack[-1][1], i + 1, ch))
                stack.pop()
            elif prev.isspace() or prev in "([“‘:" or i == start:
                stack.append((ch, i))
            elif stack and stack[-1][0] == ch:
                found.append((stack[-1][1], i + 1, ch))
                stack.pop()
    return sorted(found)


def _is_abbreviation(text: str, dot: int, para_start: int) -> bool:
    j = dot
    while j > para_start and (text[j - 1].isalnum() or text[j - 1] == "."):
        j -= 1
    word = text[j:dot]
    return word in ABBREVIATIONS or (len(word) == 1 and word.isupper())


def sentences(text: str, start: int, end: int, quote_spans: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Split one paragraph into sentences.

    A sentence ends after ``.``, ``!``, ``?`` or ``…`` (and any closing quotes or brackets that
    follow) when the next character is a space followed by an upper-case letter, a digit or an
    opening quote, the mark is not inside a quotation, and the word before a full stop is not
    an abbreviation. Marks inside numbers and dates are never followed by a space, so
    "100.000" and "10/1/2022" stay whole.
    """
    inside = [False] * (end - start + 1)
    for qs, qe, _ in quote_spans:
        for k in range(qs + 1, qe - 1):
            inside[k - start] = True
    spans = []
    sent_start = start
    i = start
    while i < end:
        ch = text[i]
        if ch in TERMINALS and not inside[i - start]:
            stop = i + 1
            while stop < end and (text[stop] in TERMINALS or text[stop] in CLOSERS):
                stop += 1
            nxt = stop
            while nxt < end and text[nxt].isspace():
                nxt += 1
            boundary = (
                stop < end
                and nxt > stop
                and nxt < end
                and (text[nxt].isupper() or text[nxt].isdigit() or text[nxt] in "“‘\"'«(*")
                and not (ch == "." and _is_abbreviation(text, i, start))
            )
            if boundary:
                spans.append((sent_start, stop))
                sent_start = nxt
                i = nxt
                continue
            i = stop
            continue
        i += 1
    if sent_start < end:
        spans.append((sent_start, end))
    return spans


def syllables(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Syllable tokens: numbers with their inner separators, letter runs, single punctuation."""
    return [(m.start() + start, m.end() + start) for m in SYLLABLE_RE.finditer(text[start:end])]


@lru_cache(maxsize=1)
def segmenter_info() -> dict:
    import underthesea

    return {"name": "underthesea", "version": underthesea.__version__, "function": "word_tokenize"}


def segment_words(sentence_text: str) -> list[str]:
    from underthesea import word_tokenize

    return word_tokenize(sentence_text)


def align_words(text: str, tokens: list[tuple[int, int]], words: list[str]) -> list[list[int]]:
    """Group token indices into words by matching the segmenter's output without spaces.

    Returns one list of token indices per word. If the segmenter changed any character, every
    token becomes its own word (the alignment never guesses).
    """
    joined = "".join("".join(w.split()) for w in words)
    token_chars = "".join(text[s:e] for s, e in tokens)
    if joined != token_chars:
        return [[k] for k in range(len(tokens))]
    boundaries = set()
    pos = 0
    for w in words:
        boundaries.add(pos)
        pos += len("".join(w.split()))
    groups: list[list[int]] = []
    pos = 0
    for k, (s, e) in enumerate(tokens):
        if pos in boundaries or not groups:
            groups.append([k])
        else:
            groups[-1].append(k)
        pos += e - s
    return groups
