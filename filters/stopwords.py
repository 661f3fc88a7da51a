"""Stop words for the quality signals, read from the ``stopwordsiso`` PyPI package (the
stopwords-iso collection, MIT) that ships them as data; nothing is downloaded at run time.

- Spaced languages: the word list of the language (lower case); ``None`` when the package has no
  list for it (the stop-word signals are then neutral, never a penalty).
- Unspaced languages: Chinese and Japanese get *character-level* function words, the single-
  character entries of the package's zh / ja lists (particles, pronouns, auxiliaries: 的 了 是 在
  我 你 / の は が を に で ...), since text there has no word boundaries. Thai keeps its word list
  and is matched as substrings.

Use ``StopWords()`` (loads lazily per language, immutable per language once loaded).
"""
from __future__ import annotations

import unicodedata

# Codes that share a list with another code.
_ALIASES = {"nb": "no", "nn": "no", "fil": "tl", "zh-hans": "zh", "zh-hant": "zh", "yue": "zh", "wuu": "zh",
            "bs": "hr", "sr": "hr", "ms": "id", "gl": "pt"}
CHAR_LEVEL_LANGS = frozenset({"zh", "ja"})
SUBSTRING_LANGS = frozenset({"th"})


def _is_cjk_or_kana(ch: str) -> bool:
    o = ord(ch)
    return 0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF


class StopWords:
    """Per-language stop-word sets from ``stopwordsiso``.

    ``words(lang)`` -> frozenset of lower-case words, or None (no list for that language).
    ``chars(lang)`` -> frozenset of single function characters for zh/ja, else None.
    ``mode(lang)``  -> 'words' | 'chars' | 'substrings' | None.
    """

    def __init__(self) -> None:
        import stopwordsiso  # the package data are the lists; imported only when constructed
        self._available = frozenset(stopwordsiso.langs())
        self._cache: dict[str, frozenset[str] | None] = {}

    @staticmethod
    def canonical(lang: str | None) -> str:
        lang = (lang or "und").lower().replace("_", "-")
        return _ALIASES.get(lang, lang.split("-")[0])

    def mode(self, lang: str | None) -> str | None:
        code = self.canonical(lang)
        if code in CHAR_LEVEL_LANGS:
            return "chars"
        if code not in self._available:
            return None
        return "substrings" if code in SUBSTRING_LANGS else "words"

    def _load(self, code: str) -> frozenset[str] | None:
        if code not in self._cache:
            if code not in self._available:
                self._cache[code] = None
            else:
                import stopwordsiso
                raw = stopwordsiso.stopwords(code)
                if code in CHAR_LEVEL_LANGS:
                    self._cache[code] = frozenset(w for w in raw if len(w) == 1 and _is_cjk_or_kana(w))
                else:
                    # keep entries with a letter: the lists carry digits and punctuation too
                    self._cache[code] = frozenset(
                        w.lower() for w in raw
                        if any(unicodedata.category(c)[0] == "L" for c in w) and " " not in w)
        return self._cache[code]

    def words(self, lang: str | None) -> frozenset[str] | None:
        code = self.canonical(lang)
        if code in CHAR_LEVEL_LANGS:
            return None
        return self._load(code)

    def chars(self, lang: str | None) -> frozenset[str] | None:
        code = self.canonical(lang)
        return self._load(code) if code in CHAR_LEVEL_LANGS else None
