"""Commercial spam cues: gambling and money-promise vocabulary, and contact handles repeated to
pull readers off the page (QQ, WeChat, Telegram, WhatsApp, LINE, Kakao ...). Text in, counts out.

The cue lists cover the languages where such pages are common in Common Crawl (zh, en, ja, ko,
vi, th, id/ms, ru, es, pt, de, fr, tr, hi). A page is gambling spam when it pushes: several
distinct gambling words *and* money promises or contact handles, at a density (cue occurrences
per 1,000 characters) that news about gambling does not reach. ``quality`` turns the counts into
the rules ``gambling_spam`` and ``contact_farm``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

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
                 "LINE", "Line ID", "Skype", "Kakao", "KakaoTalk", "카톡", "텔레그램", "Zalo"]
# the handle after an app name: optional 号/ID/群, optional colon, then 5-24 handle characters
_HANDLE = re.compile(r"\s*(?:号|號|ID|id|群)?\s*[:：]?\s*(@?[A-Za-z0-9_.+\-]{5,24})")


def _build():
    """The Aho-Corasick automaton of every cue, lower-cased: value (cue, its groups, ASCII or not)."""
    import ahocorasick

    auto = ahocorasick.Automaton()
    entries: dict[str, list] = {}
    for group, words in (("gambling", _GAMBLING), ("money", _MONEY), ("app", _CONTACT_APPS)):
        for w in words:
            entries.setdefault(w.lower(), []).append(group)
    for key, groups in entries.items():
        auto.add_word(key, (key, tuple(sorted(set(groups))), key.isascii()))
    auto.make_automaton()
    return auto


_AUTO = _build()


def _glued(ch: str) -> bool:
    """A Latin-script letter or digit (CJK and other scripts run into Latin words without spaces)."""
    return ch.isalnum() and ch <= "\u024f"


def _bounded(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands as a whole word (no Latin letter or digit glued on either side)."""
    return (start == 0 or not _glued(text[start - 1])) and (end == len(text) or not _glued(text[end]))


@dataclass(frozen=True)
class SpamCues:
    gambling_distinct: int      # distinct gambling words
    money_distinct: int         # distinct money-promise words
    cue_hits: int               # occurrences of both kinds
    contact_mentions: int       # contact handles given (all mentions)
    top_handle_repeats: int     # how often the most repeated handle is given


def spam_cues(text: str) -> SpamCues:
    """Counts of gambling and money cues and of contact handles in ``text`` (one Aho-Corasick pass
    over the lower-cased text; Latin-script cues must stand as whole words)."""
    lower = text.lower()
    if len(lower) != len(text):          # a few characters change length when lower-cased
        lower = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    gambling, money, hits = set(), set(), 0
    handles: dict[str, int] = {}
    for end, (key, groups, ascii_key) in _AUTO.iter(lower):
        start = end - len(key) + 1
        if ascii_key and not _bounded(lower, start, end + 1):
            # an app name may run into its handle (QQ215138693), never into a preceding word
            if "app" not in groups or (start > 0 and _glued(lower[start - 1])):
                continue
        if "gambling" in groups:
            gambling.add(key)
            hits += 1
        if "money" in groups:
            money.add(key)
            hits += 1
        if "app" in groups:
            m = _HANDLE.match(text, end + 1)
            if m and (any(ch.isdigit() for ch in m.group(1)) or m.group(1).startswith("@")):
                handles[m.group(1)] = handles.get(m.group(1), 0) + 1
    return SpamCues(len(gambling), len(money), hits, sum(handles.values()), max(handles.values(), default=0))


def is_gambling_spam(c: SpamCues, n_chars: int) -> bool:
    """Several gambling words, pushed with money promises or contact handles, densely."""
    density = 1000.0 * c.cue_hits / max(1, n_chars)
    pushed = c.money_distinct >= 2 or c.contact_mentions >= 1
    return c.gambling_distinct >= 2 and pushed and density >= 3.0


def is_contact_farm(c: SpamCues, n_chars: int) -> bool:
    """One handle given again and again, or handles everywhere."""
    return c.top_handle_repeats >= 3 or (c.contact_mentions >= 5 and c.contact_mentions * 500 >= n_chars)
