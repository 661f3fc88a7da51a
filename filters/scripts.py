"""Scripts and languages written without spaces between words: the one definition every scorer uses.

``UNSPACED_LANGS``: languages whose text has no spaces between words (segmentation, quality's word
units, minhash's character shingles). ``SUBSTRING_MATCH_LANGS`` adds Korean: it is written with
spaces, but particles attach to nouns, so a blocklist term must match inside a word.

Unicode blocks are named once here (code point ranges, inclusive); each scorer composes the set it
needs from them, so the differences between scorers are visible in one place:
``UNSPACED_BLOCKS`` (blocklist, classifier tokens: every block of unspaced scripts, Hangul included),
``TOKEN_UNSPACED_BLOCKS`` (minhash shingles), ``QUALITY_UNSPACED_BLOCKS`` (quality signals) and
``GLUED_NUMBER_BLOCKS`` (pii: scripts that run into numbers without a space). They differ on
purpose or by history; merging them changes signals, so it is a change of its own.
"""
from __future__ import annotations

UNSPACED_LANGS = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo", "yue", "wuu", "gan", "hak", "nan", "lzh"})
SUBSTRING_MATCH_LANGS = UNSPACED_LANGS | {"ko"}

THAI = (0x0E00, 0x0E7F)
LAO = (0x0E80, 0x0EFF)
TIBETAN = (0x0F00, 0x0FFF)
MYANMAR = (0x1000, 0x109F)
KHMER = (0x1780, 0x17FF)
KANA = (0x3040, 0x30FF)                  # Hiragana and Katakana
BOPOMOFO = (0x3100, 0x312F)
CJK_EXT_A = (0x3400, 0x4DBF)
CJK = (0x4E00, 0x9FFF)                   # CJK Unified Ideographs
HANGUL = (0xAC00, 0xD7AF)                # Hangul syllables
CJK_COMPAT = (0xF900, 0xFAFF)
CJK_SUPPLEMENTARY = (0x20000, 0x3134F)   # extensions B-G and compatibility supplement
FULLWIDTH = (0xFF00, 0xFFEF)             # half- and full-width forms

# minhash tokens (one character = one token): the fine-grained list, with the marks and
# extensions of these scripts
TOKEN_UNSPACED_BLOCKS = (
    (0x0E00, 0x0E7F),  # Thai
    (0x0E80, 0x0EFF),  # Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x19E0, 0x19FF),  # Khmer symbols
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3021, 0x3029),  # Hangzhou numerals
    (0x3031, 0x3035),  # kana repeat marks
    (0x303B, 0x303C),
    (0x3040, 0x309F),  # Hiragana
    (0x30A0, 0x30FF),  # Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31A0, 0x31BF),  # Bopomofo extended
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA9E0, 0xA9FF),  # Myanmar extended B
    (0xAA60, 0xAA7F),  # Myanmar extended A
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFF9F),  # halfwidth Katakana (NFKC maps these, kept for raw lookups)
    (0x1B000, 0x1B16F),  # Kana supplement / extended
    (0x20000, 0x323AF),  # CJK extensions B..H and compatibility supplement
)

# quality's word units and unspaced-character signal (letters only): no Hangul syllables (Korean
# is written with spaces), CJK symbols through unified ideographs in one range, halfwidth Katakana
QUALITY_UNSPACED_BLOCKS = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0x9FFF),
                           (0xF900, 0xFAFF), (0xFF66, 0xFF9F))
UNSPACED_BLOCKS = (THAI, LAO, TIBETAN, MYANMAR, KHMER, KANA, BOPOMOFO, CJK_EXT_A, CJK, HANGUL, CJK_COMPAT,
                   CJK_SUPPLEMENTARY)
GLUED_NUMBER_BLOCKS = (THAI, KANA, CJK_EXT_A, CJK, HANGUL, FULLWIDTH)


def char_class(blocks) -> str:
    """The body of a regex character class matching the blocks (no brackets)."""
    def esc(cp: int) -> str:
        return f"\\U{cp:08x}"
    return "".join(f"{esc(lo)}-{esc(hi)}" for lo, hi in _merged(blocks))


def in_blocks(cp: int, blocks) -> bool:
    """Whether code point ``cp`` lies in one of the blocks."""
    return any(lo <= cp <= hi for lo, hi in blocks)


def _merged(blocks) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for lo, hi in sorted(blocks):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]
