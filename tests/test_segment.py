"""Segmentation hazards checked on the seeds' real sentences (and on constructed text where the
seeds hold no example, as said per test)."""
from __future__ import annotations

from visectalks import segment


def _sentences_with(doc: dict, needle: str) -> list[str]:
    return [s["text"] for s in doc["sentences"] if needle in s["text"]]


def _paragraph(doc: dict, startswith: str) -> dict:
    return next(p for p in doc["paragraphs"] if p["text"].startswith(startswith))


def test_d003_keeps_nbsp_and_blank_lines_belong_to_no_paragraph(corpus, root):
    doc = corpus["d003"]
    seed = (root / "seeds" / doc["seed_file"]).read_text(encoding="utf-8")
    assert doc["text"] == seed
    assert "\u00a0" in doc["text"]
    blank_lines = [i for i, line in enumerate(seed.split("\n")) if not line.strip()]
    assert len(blank_lines) >= 10
    offsets, pos = [], 0
    for line in seed.split("\n"):
        offsets.append(pos)
        pos += len(line) + 1
    for i in blank_lines:
        line_start, line_end = offsets[i], offsets[i] + len(seed.split("\n")[i])
        assert not any(p["start"] < line_end + 1 and line_start < p["end"] for p in doc["paragraphs"] if line_end > line_start), i
    # the NBSP-only line is not a paragraph, and no paragraph starts or ends with a space
    assert all(not p["text"][0].isspace() and not p["text"][-1].isspace() for p in doc["paragraphs"])


def test_d003_roles_boilerplate_byline_related(corpus):
    doc = corpus["d003"]
    roles = [(p["role"], p["text"]) for p in doc["paragraphs"]]
    assert roles[-5][0] == "boilerplate" and roles[-5][1].startswith("Đọc") and roles[-5][1].endswith("VietNamNet")
    assert roles[-4] == ("byline", "Thanh Hảo")
    assert roles[-3][0] == roles[-2][0] == roles[-1][0] == "related"
    assert roles[-3][1] == roles[-2][1] == "Nga nhận diện 'lằn ranh đỏ' trong quan hệ với NATO"
    assert all(r == "body" for r, _ in roles[:-5])


def test_d001_caption_and_boilerplate(corpus):
    doc = corpus["d001"]
    caption = _paragraph(doc, "Thứ trưởng Bộ Ngoại giao Mỹ Wendy Sherman (trái)")
    assert caption["role"] == "caption" and caption["text"].endswith("(Ảnh: AP)")
    last = doc["paragraphs"][-1]
    assert last["role"] == "boilerplate" and "VTVGo" in last["text"]
    assert sum(p["role"] == "body" for p in doc["paragraphs"]) == len(doc["paragraphs"]) - 2


def test_d004_heading(corpus):
    heading = [p for p in corpus["d004"]["paragraphs"] if p["role"] == "heading"]
    assert [p["text"] for p in heading] == ["Chia rẽ sâu sắc trước các lợi ích cốt lõi"]


def test_dates_are_not_split(corpus):
    caption_sentences = _sentences_with(corpus["d001"], "10/1/2022")
    assert len(caption_sentences) == 1 and caption_sentences[0].endswith("ngày 10/1/2022.")
    assert any(s.startswith("Theo kế hoạch, vào ngày 12/1, tại Brussels") for s in _sentences_with(corpus["d001"], "ngày 12/1"))
    for doc in corpus.values():
        for t in doc["tokens"]:
            if "/" in t["text"]:
                assert t["text"] in {"10/1/2022", "10/1", "11/1", "12/1", "13/1", "14/1"}


def test_numbers_are_not_split(corpus):
    sents = _sentences_with(corpus["d001"], "100.000")
    assert sents == ["Muốn vậy, phải giảm căng thẳng ở khu vực biên giới Nga - Ukraine, nơi Mỹ và NATO cho rằng Nga đang bố trí khoảng 100.000 lính ở đây."]
    assert any(t["text"] == "100.000" for t in corpus["d004"]["tokens"])


def test_quotation_ending_a_sentence_keeps_its_closing_mark(corpus):
    sherman = _sentences_with(corpus["d002"], "Chúng tôi rất kiên quyết")
    assert len(sherman) == 1 and sherman[0].endswith("không thể lọt tai của Mỹ.”")
    ryabkov = _sentences_with(corpus["d002"], "không bao giờ trở thành thành viên NATO")
    assert ryabkov[0].startswith("Ông nói trước báo giới: “") and ryabkov[0].endswith("thành viên NATO”.")


def test_no_split_inside_quotations(corpus):
    # d003: one quotation holding two sentences stays one sentence
    inside = _sentences_with(corpus["d003"], "Nhưng xa hơn thế, NATO sẽ không bao giờ lay chuyển")
    assert len(inside) == 1 and inside[0].startswith('"NATO có thể thỏa hiệp') and inside[0].endswith('lay chuyển".')
    # and a sentence-final mark inside a quotation followed by ", ông nói" does not split
    peskov = _sentences_with(corpus["d002"], "ông nói.")
    assert peskov[0].startswith("“Không có thời hạn rõ ràng")


def test_abbreviations_do_not_split():
    # The seeds contain no abbreviation with a full stop; this case is constructed.
    text = "Ông Nguyễn Văn A. đã tới TP. Hồ Chí Minh hôm qua. Ông ấy nói vậy."
    spans = segment.sentences(text, 0, len(text), [])
    assert [text[s:e] for s, e in spans] == ["Ông Nguyễn Văn A. đã tới TP. Hồ Chí Minh hôm qua.", "Ông ấy nói vậy."]


def test_sentence_count_per_seed_is_plausible(corpus):
    for doc in corpus.values():
        terminal = sum(doc["text"].count(m + " ") for m in ".?!") + len(doc["paragraphs"])
        assert len(doc["paragraphs"]) <= len(doc["sentences"]) <= terminal


def test_words_cover_whole_syllables_in_order(corpus):
    for doc in corpus.values():
        tokens = {t["id"]: t for t in doc["tokens"]}
        flat = [tid for w in doc["words"] for tid in w["token_ids"]]
        assert flat == [t["id"] for t in doc["tokens"]]
        for w in doc["words"]:
            parts = [tokens[t] for t in w["token_ids"]]
            assert w["start"] == parts[0]["start"] and w["end"] == parts[-1]["end"]
            assert doc["text"][w["start"]:w["end"]] == w["text"]


def test_known_multisyllable_words(corpus):
    words = {w["text"] for w in corpus["d000"]["words"]}
    assert {"đàm phán", "Thứ trưởng", "Ngoại giao"} <= words
    assert corpus["d000"]["segmenter"]["name"] == "underthesea"


def test_quotes_include_marks_and_nest(corpus):
    d004 = corpus["d004"]
    marks = {q["open_mark"] for q in d004["quotes"]}
    assert "“" in marks and "‘" in marks
    inner = next(q for q in d004["quotes"] if q["text"] == "‘mở cửa’")
    outer = next(q for q in d004["quotes"] if q["start"] < inner["start"] and inner["end"] < q["end"])
    assert outer["text"].startswith("“Chúng tôi sẽ không đóng sập")


def test_straight_single_quotes_in_related_titles(corpus):
    assert sum(q["text"] == "'lằn ranh đỏ'" for q in corpus["d003"]["quotes"]) == 2
