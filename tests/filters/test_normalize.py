from filters.normalize import clean_text, split_text, truncate_text


def test_line_breaks_controls_and_invisibles():
    text, notes = clean_text("Tabs\tand\x00nulls\x07bells\u200b zero\u00ad width\ufeff and \r\n CRLF\rlines.  ")
    assert text == "Tabs\tand nulls bells zero width and\n CRLF\nlines."
    assert notes == ["line_breaks", "control_chars"]


def test_nfc_and_lone_surrogates():
    text, notes = clean_text("Cafe\u0301 a\ud800b")
    assert text == "Caf\u00e9 ab"
    assert "nfc" in notes and "control_chars" in notes


def test_joiners_that_spell_words_are_kept():
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ inside a Persian word
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    assert clean_text(persian)[0] == persian
    assert clean_text(family)[0] == family


def test_blank_runs_collapse_and_outer_whitespace_strips():
    text, _ = clean_text("\n\n  first  \n\n\n\n\nsecond\u3000\nthird\n\n")
    assert text == "first\n\nsecond\nthird"


def test_counter_callback_gets_each_change():
    seen = []
    clean_text("a\r\nb\x01", count=lambda name, n=1: seen.append((name, n)))
    assert seen == [("normalized_line_breaks", 1), ("normalized_control_chars", 1)]


def test_truncate_prefers_line_breaks():
    text = "\n".join(f"line {i:03d} " + "x" * 40 for i in range(100))
    cut = truncate_text(text, 1000)
    assert len(cut) <= 1000 and cut.endswith("x") and text.startswith(cut)
    assert truncate_text("short", 10) == "short"


def test_split_covers_everything_in_order():
    text = " ".join(f"w{i}" for i in range(3000))
    parts = split_text(text, 997)
    assert all(len(p) <= 997 for p in parts)
    assert " ".join(parts).split() == text.split()
