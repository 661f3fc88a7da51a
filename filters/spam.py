"""Commercial spam cues: gambling and money-promise vocabulary, and contact handles repeated to
pull readers off the page (QQ, WeChat, Telegram, WhatsApp, LINE, Kakao ...). Text in, counts out.

The cue lists cover the languages where such pages are common in Common Crawl (zh, en, ja, ko,
vi, th, id/ms, ru, es, pt, de, fr, tr, hi). A page is gambling spam when it pushes: several
distinct gambling words *and* money promises or contact handles, at a density (cue occurrences
per 1,000 characters) that news about gambling does not reach. ``quality`` turns the counts into
the rules ``gambling_spam`` and ``contact_farm``.
"""
from __future__ import annotations

import functools
import re
from typing import NamedTuple

import numpy as np

from filters._native import native
from filters.matching import overlapping_matches

_GAMBLING = [
    # zh
    "赌场", "赌博", "博彩", "彩票", "时时彩", "六合彩", "百家乐", "老虎机", "彩金", "六合", "特码", "平特", "赔率",
    "真人娱乐", "网上娱乐", "娱乐平台", "投注", "下注", "棋牌", "赛车pk", "北京赛车", "幸运28", "快三", "倍投",
    # en
    "casino", "casinos", "gambling", "betting", "sportsbook", "slot machine", "slots", "poker", "roulette",
    "baccarat", "blackjack", "jackpot", "free spins", "bookmaker", "wager", "lottery",
    # ja / ko
    "カジノ", "パチンコ", "スロット", "ギャンブル", "オンラインカジノ", "카지노", "바카라", "토토", "슬롯", "도박", "배팅",
    # vi / th / id-ms
    "cá cược", "nhà cái", "đánh bạc", "xổ số", "คาสิโน", "พนัน", "บาคาร่า", "สล็อต", "แทงบอล", "หวย",
    "judi", "togel", "slot gacor", "taruhan", "bandar",
    # ru / es / pt / de / fr / tr / hi
    "казино", "ставки", "букмекер", "рулетка", "apuestas", "tragamonedas", "apostas", "cassino",
    "glücksspiel", "spielautomaten", "sportwetten", "jeux d'argent", "paris sportifs", "bahis", "kumar",
    "जुआ", "सट्टा",
]
_MONEY = [
    # zh
    "充值", "提现", "到账", "包赔", "返水", "日赚", "稳赚", "注册送", "首存", "存款", "红包", "本金", "返利", "代理加盟",
    # en
    "deposit", "withdraw", "withdrawal", "bonus", "welcome bonus", "no deposit", "guaranteed profit", "cash out",
    "payout",
    # ja / ko / vi / th / id / ru / es / pt / tr
    "入金", "出金", "ボーナス", "충전", "환전", "입금", "출금", "보너스", "nạp tiền", "rút tiền", "khuyến mãi",
    "ฝาก", "ถอน", "โบนัส", "deposit pulsa", "bonus new member", "депозит", "бонус", "вывод средств",
    "depósito", "bono", "retiro", "bônus", "saque", "para yatırma",
]


_CONTACT_APPS = ["QQ", "QQ群", "Q群", "微信", "薇信", "威信", "V信", "VX", "WX", "WeChat", "Telegram", "TG", "WhatsApp",
                 "Line ID", "Skype", "Kakao", "KakaoTalk", "카톡", "텔레그램", "Zalo"]
# the handle after an app name: optional 号/ID/群, optional colon, then 5-24 handle characters
_HANDLE = re.compile(r"\s{0,3}+(?:号|號|ID|id|群)?+\s{0,3}+[:：]?+\s{0,3}+(@?[A-Za-z0-9_.+\-]{5,24}+)")
_HANDLE_WINDOW = 40          # the handle is looked for in this many characters after the app name


# Group codes carried as the "weight" of each cue in the quality scorer's cue matcher.
GAMBLING, MONEY = 1.0, 2.0


# Scripts written without spaces (and Devanagari, whose vowel signs break tokens): such cues are
# found as substrings, the others as whole tokens by the quality scorer's cue matcher.
_SUBSTRING_SCRIPT = re.compile("[\u0900-\u0dff\u0e00-\u0eff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def cue_table() -> dict[str, list[tuple[str, float]]]:
    """Gambling and money cues for a token-based cue matcher, {group: [(cue, group code)]}: the
    cues of spaced scripts only (``spam_cues`` finds the others itself)."""
    return {"gambling": [(w, GAMBLING) for w in _GAMBLING if not _SUBSTRING_SCRIPT.search(w)],
            "money": [(w, MONEY) for w in _MONEY if not _SUBSTRING_SCRIPT.search(w)]}


@functools.lru_cache(maxsize=1)
def _automata():
    """(automaton of the unspaced-script cues, lower-cased; each cue pattern's group code by pattern
    index; automaton of the app names as written and in upper case, which run into CJK text and so
    are matched as substrings too; the same app names as UTF-8 bytes). Built once, on first use."""
    import ahocorasick_rs

    cues = {w.lower(): code for words, code in ((_GAMBLING, GAMBLING), (_MONEY, MONEY))
            for w in words if _SUBSTRING_SCRIPT.search(w)}
    apps = sorted({v for w in _CONTACT_APPS for v in (w, w.upper())})
    cue_words = list(cues)
    return (ahocorasick_rs.AhoCorasick(cue_words), [cues[w] for w in cue_words],
            ahocorasick_rs.AhoCorasick(apps), ahocorasick_rs.BytesAhoCorasick([w.encode() for w in apps]))


def _names_app(text: str) -> bool:
    """Whether ``text`` holds an app name (of ``_automata``'s), found in its UTF-8 bytes (no
    character offsets to map: faster than the str automaton; the names are valid UTF-8, so it
    misses no text that has one)."""
    return bool(_automata()[3].find_matches_as_indexes(text.encode("utf-8", "surrogatepass")))


@functools.lru_cache(maxsize=1)
def _app_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The app names of ``_automata`` for the kernel: their code points one after the other
    (uint32), where each starts (int64, one more), and a uint8 mark per BMP code point that
    starts one."""
    apps = sorted({v for w in _CONTACT_APPS for v in (w, w.upper())})
    chars = np.array([ord(c) for w in apps for c in w], dtype=np.uint32)
    offs = np.cumsum([0] + [len(w) for w in apps]).astype(np.int64)
    first = np.zeros(0x10000, dtype=np.uint8)
    first[[ord(w[0]) for w in apps]] = 1
    return chars, offs, first


def _names_app_native(text: str) -> bool:
    """``_names_app`` by the kernel (a scan of the str for the names' first characters)."""
    return _KERNELS.contains_any(text, *_app_table())


# The compiled kernels of filters/_native/spam.pyx replace these pure-Python references when built
# (tests/filters/test_native_spam.py checks each pair gives the same result).
PY_KERNELS = {"names_app": _names_app}
_KERNELS = native("spam")
if _KERNELS is not None:
    _names_app = _names_app_native


def _glued(ch: str) -> bool:
    """A Latin-script letter or digit (CJK and other scripts run into Latin words without spaces)."""
    return ch.isalnum() and ch <= "\u024f"


class SpamCues(NamedTuple):
    gambling_distinct: int      # distinct gambling words
    money_distinct: int         # distinct money-promise words
    cue_hits: int               # occurrences of both kinds
    contact_mentions: int       # contact handles given (all mentions)
    top_handle_repeats: int     # how often the most repeated handle is given


def spam_cues(text: str, lower: str, hits: list[tuple[int, int, float]], unspaced: bool = True) -> SpamCues:
    """SpamCues of ``text``: the cue matcher's (start, end, group code) ``hits`` in ``lower`` (the
    lower-cased text, same length) plus, when ``unspaced`` (the text holds such scripts), the
    unspaced-script cues found here; distinct gambling and money cues and their occurrences; and
    the contact handles that follow an app name (a handle holds a digit or starts with @)."""
    gambling, money, handles = set(), set(), {}
    n = len(hits)
    for start, end, code in hits:
        (gambling if code == GAMBLING else money).add(lower[start:end])
    cue_auto, cue_codes, app_auto, _ = _automata()
    if unspaced:
        for k, start, end in overlapping_matches(cue_auto, lower):
            (gambling if cue_codes[k] == GAMBLING else money).add(lower[start:end])
            n += 1
    # most texts name no app: ``_names_app`` says so faster than the str automaton
    for _, start, end in overlapping_matches(app_auto, text) if _names_app(text) else ():
        if start and _glued(text[start - 1]):           # part of a longer Latin word
            continue
        m = _HANDLE.match(text, end, end + _HANDLE_WINDOW)
        if m and (any(ch.isdigit() for ch in m.group(1)) or m.group(1).startswith("@")):
            handles[m.group(1)] = handles.get(m.group(1), 0) + 1
    return SpamCues(len(gambling), len(money), n, sum(handles.values()), max(handles.values(), default=0))


def is_gambling_spam(c: SpamCues, n_chars: int) -> bool:
    """Several gambling words, pushed with money promises or contact handles, densely."""
    density = 1000.0 * c.cue_hits / max(1, n_chars)
    pushed = c.money_distinct >= 2 or c.contact_mentions >= 1
    return c.gambling_distinct >= 2 and pushed and density >= 3.0


def is_contact_farm(c: SpamCues, n_chars: int) -> bool:
    """One handle given again and again, or handles everywhere."""
    return c.top_handle_repeats >= 3 or (c.contact_mentions >= 5 and c.contact_mentions * 500 >= n_chars)
