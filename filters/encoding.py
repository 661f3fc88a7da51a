"""Encoding damage (mojibake): text in, the number of characters that are visibly mis-decoded out.

Two kinds are found, each confirmed by undoing it, so clean text of any script scores 0:
- UTF-8 read as GBK/GB18030 or Big5 (``婢虫床`` for ``澳洲``): a run of Han characters whose
  GB18030 (or Big5) bytes hold two or more consecutive valid UTF-8 CJK characters. Real GBK/Big5
  text almost never does (no hit in 1,000 c4zh pages or 6,431 COLD comments of ../shared).
- UTF-8 read as cp1252/Latin-1 (``CafÃ©``, ``donâ€™t``): a lead character of a UTF-8 sequence
  followed by continuation-like characters, kept only when its cp1252 bytes decode as UTF-8.
Replacement characters (U+FFFD, left where bytes were not valid UTF-8) count as damage too.
"""
from __future__ import annotations

import re

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_UTF8_CJK = re.compile(rb"(?:[\xe3-\xe9][\x80-\xbf]{2}){2,}")
# a UTF-8 lead byte read as cp1252/Latin-1 and 1-3 continuation bytes read the same way
_CP1252_CONT = ("\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
                "\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122")
_LATIN_MOJIBAKE = re.compile(rf"[\u00c2-\u00f4][{_CP1252_CONT}]{{1,3}}")


def mojibake_chars(text: str) -> int:
    """Characters of ``text`` that are mis-decoded (see the module docstring)."""
    n = text.count("\ufffd")
    if not text.isascii():
        for m in _HAN_RUN.finditer(text):
            run = m.group()
            for codec in ("gb18030", "big5"):
                try:
                    raw = run.encode(codec)
                except UnicodeEncodeError:
                    continue
                hits = sum(len(x.group()) // 3 for x in _UTF8_CJK.finditer(raw))
                if hits:
                    n += 2 * hits        # each recovered character stood as about two mis-decoded ones
                    break
        for m in _LATIN_MOJIBAKE.finditer(text):
            try:
                m.group().encode("cp1252").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            n += len(m.group())
    return n
