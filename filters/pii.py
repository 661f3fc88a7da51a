"""Personally identifiable information (PII): detection spans and redaction.

``find_pii(text)`` returns ``[{'type', 'start', 'end'}]`` (code-point offsets, end exclusive),
sorted by start, with types:

- ``email``: ``local@domain.tld``; the TLD is alphabetic and not a file extension (``logo@2x.png`` is
  not an address). CJK text runs into Latin words and numbers without spaces, so an address glued
  to following text ends at a real top-level domain (``resources/tlds.txt``, from the Public Suffix
  List): ``a.b@163.com1.8t`` -> ``a.b@163.com``, ``x@example.comtao`` -> ``x@example.com`` (a run
  that is no TLD is cut at its longest real TLD prefix of 3+ letters; a hyphen after a real TLD ends
  the address unless a Latin letter follows it: ``163.com-14``). An address may follow a dot or
  hyphen that ends other text (``น.j.smith@example.com``).
- ``phone``: ``+<country code>`` numbers with 8-15 digits in groups (``+1 (555) 234-5678``,
  ``+49 30 1234567``; a ``+1`` number glued to more digits inside CJK/Thai text is cut after 11);
  North-American ``(555) 234-5678`` / ``555-234-5678``; Chinese mobiles ``1[3-9]x xxxx xxxx``
  (11 digits, optionally spaced/dashed 3-4-4) and landlines ``0xx-xxxxxxxx``.
- ``ip``: IPv4 dotted quads (no leading zeros, not after "version"/"v"/"版本", letters may touch
  them) and IPv6 (validated by ``ipaddress``, needs a digit and ``::`` or 8 groups). Within 12
  characters of Han, kana, hangul or Thai text a quad whose outer parts run into other digits is
  taken with its longest valid outer octets (``新疆20103.85.114.900年`` -> ``103.85.114.90``).
- ``credit_card``: 13-19 digits, contiguous or in 4-4-4-4(-x) / 4-6-5 / 4-6-4 groups with one
  kind of separator, a card-network prefix (2,3,4,5,6) and a valid Luhn checksum. 4-4-4-4 groups
  are also found glued to letters or digits (``cook4111 1111 1111 1111ie``).
- ``cn_id``: 18-character Chinese resident ID with a region code 11-82, a real birth date between
  1900 and today, and a valid ISO 7064 MOD 11-2 check character, found in any 18-character window
  of a digit run, whatever touches the run (CJK and Thai text join numbers without spaces): with
  region, date and checksum all required, a random window passes with a probability of about 1e-4.

Apart from those checksummed or glued-in-CJK cases, numbers are never taken out of a longer run of
digits, which keeps dates, prices, version numbers and ISBNs out. Overlaps are resolved
deterministically: longer spans first, then the type priority cn_id > credit_card > email > ip >
phone, so a cn_id or card is never also a phone.

``redact(text, spans, policy)`` replaces spans with typed placeholders such as ``<EMAIL>``.
"""
from __future__ import annotations

import datetime
import ipaddress
import re
from pathlib import Path

from filters._native import native
from filters.counting import Count
from filters.scripts import GLUED_NUMBER_BLOCKS, char_class


TYPES = ("email", "phone", "ip", "credit_card", "cn_id")
_PRIORITY = {"cn_id": 0, "credit_card": 1, "email": 2, "ip": 3, "phone": 4}

# Letters and digits of spaced scripts. CJK text runs into numbers without spaces, so a Han or
# kana character next to a number is a boundary, while a Latin letter or digit is not.
_W = r"A-Za-z0-9_\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"

# ---- e-mail ---------------------------------------------------------------------------------
# the TLD group takes every letter that follows the last dot; ``_email_end`` cuts it to a real TLD
_EMAIL = re.compile(
    rf"(?<![{_W}%+])(?<![A-Za-z0-9_%+][.-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{{0,62}}[A-Za-z0-9_%+-])?"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,})"
)
_TLDS = frozenset(
    line.strip() for line in (Path(__file__).resolve().parent / "resources" / "tlds.txt").read_text("ascii").splitlines()
    if line.strip() and not line.startswith("#"))
_FILE_EXT = {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "js", "css", "html", "htm", "php",
             "json", "xml", "pdf", "txt", "zip", "gz", "mp4", "mp3", "woff", "woff2", "ttf"}

# ---- phones ---------------------------------------------------------------------------------
# digit groups are possessive (\d{1,5}+): greedy 5-digit chunks fit whenever any split does, and a
# run of 40 digits after "+1" no longer tries every split (100 KB of them took 38 s)
_INTL = re.compile(rf"(?<![+])\+[1-9]\d{{0,2}}(?:(?:[ .\-]|\u00a0)?\(?\d{{1,5}}+\)?){{1,7}}(?!\d)")
_INTL_GROUP = re.compile(r"([ .\-\u00a0]?)(\(?)(\d{1,5})(\)?)")
_NANP = re.compile(rf"(?<![{_W}+\-.(])(?:\([2-9]\d{{2}}\)[ .\-]?|[2-9]\d{{2}}([ .\-]))[2-9]\d{{2}}[ .\-]\d{{4}}(?![{_W}\-]|\.\d)")
_CN_MOBILE = re.compile(r"(?<![0-9+\-])(?<![0-9]\.)1[3-9]\d(?:\d{8}|([ \-])\d{4}\1\d{4})(?![\d])")
_CN_LANDLINE = re.compile(rf"(?<![{_W}+\-.])(?:0\d{{2,3}}-|\(0\d{{2,3}}\))[2-9]\d{{6,7}}(?![\d\-])")

# ---- IP addresses ---------------------------------------------------------------------------
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)"
_IPV4 = re.compile(rf"(?<![\d_])(?<!\d[.\-]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d_]|-[\dA-Za-z]|\.\d)")
_VERSION_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:version|ver\.?|v|build|release|rev\.?)|版本)\s*$", re.IGNORECASE)
_IPV6 = re.compile(rf"(?<![{_W}:.])(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:(?:\d{{1,3}}\.){{3}}\d{{1,3}}|[0-9A-Fa-f]{{1,4}})?(?![{_W}:])")

# ---- cards and IDs --------------------------------------------------------------------------
_CARD_TAIL = rf"(?![{_W}]|[ \-]?\d|[.,]\d)"
_CARD = re.compile(
    rf"(?<![{_W}\-])(?<!\d[.,])(?:\d{{13,19}}"
    r"|\d{4}([ \-])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?"
    rf"|\d{{4}}([ \-])\d{{6}}\2\d{{4,5}}){_CARD_TAIL}"
)
# 4-4-4-4 groups followed by a separate short number (``4111 1111 1111 1111 12/25``).
_CARD16 = re.compile(rf"(?<![{_W}\-])(?<!\d[.,])\d{{4}}([ \-])\d{{4}}\1\d{{4}}\1\d{{4}}(?![{_W}]|[.,]\d)")
# ... and the same groups glued to letters or digits on either side (text joined without spaces);
# the card prefix and the Luhn digit still have to hold.
_CARD_GLUED = re.compile(r"\d{4}([ \-])\d{4}\1\d{4}\1\d{4}")
# Chinese IDs: any 18-character window of a run of 17+ digits ending in a digit or X. CJK text glues
# numbers to digits and letters, so the run may touch anything; region, birth date and checksum must
# all hold (a random window passes with a probability of about 1e-4).
_ID_RUN = re.compile(r"\d{17,}[\dXx]")
_CN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_ID_CHECK = "10X98765432"


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_prefix_ok(d: str) -> bool:
    n = len(d)
    if d[0] == "4":
        return n in (13, 16, 19)
    if d[:2] in ("34", "37"):
        return n == 15
    if d[:2] in ("36", "38", "30", "39"):
        return 14 <= n <= 19
    if d[:2] == "35":
        return 16 <= n <= 19
    if "51" <= d[:2] <= "55" or "2221" <= d[:4] <= "2720":
        return n == 16
    if d[:2] == "62" or d[:4] == "6011" or d[:2] == "65" or "644" <= d[:3] <= "649":
        return 16 <= n <= 19
    return False


def credit_card_valid(number: str) -> bool:
    """True for a 13-19 digit number (separators ignored) with a card prefix and valid Luhn digit."""
    d = re.sub(r"[ \-]", "", number)
    if not d.isdigit() or not 13 <= len(d) <= 19 or len(set(d)) == 1:
        return False
    return _card_prefix_ok(d) and luhn_valid(d)


def cn_id_valid(value: str, today: datetime.date | None = None) -> bool:
    """True for an 18-character Chinese resident ID with plausible region and birth date and valid check."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    if not 11 <= int(value[:2]) <= 82:
        return False
    try:
        born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    today = today or datetime.date.today()
    if born.year < 1900 or born > today:
        return False
    check = _CN_ID_CHECK[sum(int(c) * w for c, w in zip(value[:17], _CN_ID_WEIGHTS)) % 11]
    return value[17].upper() == check


def _intl_phone(text: str, m: re.Match) -> tuple[int, int] | None:
    """Trim an international candidate to its phone number; None when it is not one."""
    s = m.group(0)
    cc = re.match(r"\+\d{1,3}", s).group(0)
    pos, digits = len(cc), len(cc) - 1
    end, end_digits, opened = pos, digits, False
    for g in _INTL_GROUP.finditer(s, pos):
        if g.start() != pos:
            break
        sep, op, num, cl = g.groups()
        if cl and not (op or opened):
            # a closing bracket nobody opened ends the number ("(mail, +1 202 555 0147)"): take the
            # group's digits, leave the bracket to the text
            if digits + len(num) <= 15 and not (sep in (" ", "\u00a0") and digits >= 11):
                digits += len(num)
                end, end_digits = g.start(3) + len(num), digits
            break
        if op and opened:
            break
        if sep in (" ", "\u00a0") and digits >= 11 and not opened:
            break  # a new space-separated group after a complete number is other text
        if digits + len(num) > 15:
            break
        opened = (opened or bool(op)) and not cl
        digits += len(num)
        pos = g.end()
        if not opened:
            end, end_digits = pos, digits
    digits = end_digits
    if digits < 8 or end <= len(cc):
        return None
    if cc == "+1" and digits != 11:
        glued = _NANP_PLUS1.match(s)  # "+1 (580) 267-788900人": a North-American number glued to digits
        if glued and _in_unspaced_text(text, m.start(), m.end()):
            return m.start(), m.start() + glued.end()
        return None
    return m.start(), m.start() + end


_NANP_PLUS1 = re.compile(r"\+1[ .\-\u00a0]?(?:\(\d{3}\)|\d{3})[ .\-\u00a0]?\d{3}[ .\-]\d{4}(?=\d)")
_UNSPACED = re.compile(f"[{char_class(GLUED_NUMBER_BLOCKS)}]")


def _in_unspaced_text(text: str, start: int, end: int, margin: int = 12) -> bool:
    """True when Han, kana, hangul or Thai text lies within ``margin`` characters of [start, end):
    such text runs into numbers without spaces, so digits glued to a number are likely other text."""
    return _UNSPACED.search(text, max(0, start - margin), min(len(text), end + margin)) is not None


# A dotted quad whose outer parts run into other digits ("24104.73.73.90", "22220.49.132.228日"):
# inside Han/kana/Thai text the address is taken with the longest valid outer octets.
# Not inside dotted identifiers or URL parameters ("spm=a2c4g.434034.0.0.21711607IHSSjw").
_GLUED_QUAD = re.compile(r"(?<![\d=])(?<![A-Za-z0-9_]\.)(\d+)\.(\d{1,3})\.(\d{1,3})\.(\d+)(?![\dA-Za-z_]|\.\d)")


def _glued_ipv4(text: str, m: re.Match) -> tuple[int, int] | None:
    first, b, c, last = m.groups()
    if len(first) <= 3 and len(last) <= 3 and _is_octet(first) and _is_octet(last):
        return None  # not glued: the strict pattern decides
    if not (_is_octet(b) and _is_octet(c)) or not _in_unspaced_text(text, m.start(), m.end()):
        return None
    head = next((first[-k:] for k in (3, 2, 1) if k <= len(first) and _is_octet(first[-k:])), None)
    tail = next((last[:k] for k in (3, 2, 1) if k <= len(last) and _is_octet(last[:k])), None)
    if head is None or tail is None:
        return None
    return m.start(1) + len(first) - len(head), m.start(4) + len(tail)


def _is_octet(part: str) -> bool:
    return (part == "0" or not part.startswith("0")) and int(part) <= 255


# Every digit-based PII form (ids, cards, IPv4, phones) lies inside a run of digits and separators;
# the detailed patterns only run on such runs (plus a margin for their boundary checks).
# A run is r"[+(]?\d[\d\s().:/+-]{5,}[\dxX]"; it is searched from its first digit (a pattern with a
# leading optional class is tried at every position, about 3x slower) and the "+" or "(" before
# that digit is taken back in (the same matches: the character before a run's first digit never
# belongs to the run before it, which ends in a digit or x).
_NUMERIC_RUN = re.compile(r"\d[\d\s().:/+-]{5,}[\dxX]")


def _numeric_windows(text: str) -> list[tuple[int, int]]:
    """Merged (start, end) windows around digit runs long enough to hold a PII item."""
    windows: list[tuple[int, int]] = []
    for m in _NUMERIC_RUN.finditer(text):
        first = m.start()
        if first and text[first - 1] in "+(":
            first -= 1
        start, end = max(0, first - 1), min(len(text), m.end() + 2)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], end))
        else:
            windows.append((start, end))
    return windows


def _email_end(text: str, m: re.Match) -> int | None:
    """End of the address matched by ``_EMAIL`` (None: not an address). The TLD run (every letter after
    the last dot) ends the address when it is followed by no letter, digit or hyphen, or when it is a
    real TLD followed by digits (``163.com1.8t``) or by a hyphen and no Latin letter (``163.com-14``);
    a run that is no TLD but starts with a real TLD of 3+ letters is cut there (``example.comtao``: glued-on text); file extensions are never TLDs."""
    run = m.group(1).lower()
    nxt = text[m.end():m.end() + 1]
    if run in _FILE_EXT:
        return None
    if run in _TLDS:
        if nxt == "-":  # "bar.com-baz" is a longer name; "163.com-14", "163.com-หาก" are glued text
            after = text[m.end() + 1:m.end() + 2]
            return None if after.isascii() and after.isalpha() else m.end()
        return m.end()
    for n in range(min(len(run) - 1, 24), 2, -1):
        if run[:n] in _TLDS:
            return None if run[:n] in _FILE_EXT else m.start(1) + n
    if nxt.isascii() and (nxt.isalnum() or nxt == "-"):
        return None
    return m.end()  # an unknown alphabetic TLD, as written


def _prescan(text: str) -> tuple[list[tuple[int, int]], bool]:
    """``_numeric_windows(text)`` and whether ``text`` may hold an IPv6 address: what every address
    ``_ipv6`` accepts needs, ``::`` or seven colons."""
    return _numeric_windows(text), ("::" in text or text.count(":") >= 7)


def _text_candidates(text: str, may_ipv6: bool | None = None) -> list[tuple[str, int, int]]:
    """E-mail and IPv6 candidates (the forms not anchored on decimal digit runs); ``may_ipv6``: the second
    item of ``_prescan(text)`` when known."""
    out: list[tuple[str, int, int]] = []
    pos = 0
    while (at := text.find("@", pos)) >= 0:
        # _EMAIL.finditer, searched from at most 64 characters (the longest local part) before the next
        # "@": every address holds exactly one, so no earlier start can match
        m = _EMAIL.search(text, max(pos, at - 64))
        if m is None:
            break
        end = _email_end(text, m)
        if end is not None:
            out.append(("email", m.start(), end))
        pos = m.end()
    if may_ipv6 is None:
        may_ipv6 = "::" in text or text.count(":") >= 7
    if may_ipv6:
        out.extend(_ipv6(text))
    return out


def _candidates(text: str) -> list[tuple[str, int, int]]:
    windows, may_ipv6 = _prescan(text)
    out = _text_candidates(text, may_ipv6)
    for start, end in windows:
        out.extend(_digit_candidates(text, start, end))
    return out


def _digit_candidates(text: str, lo: int, hi: int) -> list[tuple[str, int, int]]:
    """Digit-based candidates whose match starts in [lo, hi) (patterns see text[:hi]). Each match lies in
    text[lo:hi], so a form is only searched for when that holds as many decimal digits as the form needs
    at least: cards 13, Chinese IDs 17, IPv4 4, phones 8 (international; the others 10 or 11)."""
    out: list[tuple[str, int, int]] = []
    digits = _digit_count(text, lo, hi)
    if digits < 4:
        return out
    for rx in ((_CARD, _CARD16, _CARD_GLUED) if digits >= 13 else ()):
        pos = lo
        while True:  # overlapping search: "2010 4307 4188 7473 0951" holds a card after a year
            m = rx.search(text, pos, hi)
            if m is None:
                break
            if credit_card_valid(m.group(0)):
                out.append(("credit_card", m.start(), m.end()))
                pos = m.end()
            else:
                pos = m.start() + 1
    for m in (_ID_RUN.finditer(text, lo, hi) if digits >= 17 else ()):  # every 18-character window of a digit run
        run = m.group(0)
        for k in range(len(run) - 17):
            if cn_id_valid(run[k:k + 18]):
                out.append(("cn_id", m.start() + k, m.start() + k + 18))
    for m in _IPV4.finditer(text, lo, hi):
        if _VERSION_BEFORE.search(text[max(0, m.start() - 12):m.start()]):
            continue
        if m.end() - m.start() == 7:  # all four parts single digits: a section or version number
            continue
        out.append(("ip", m.start(), m.end()))
    for m in _GLUED_QUAD.finditer(text, lo, hi):
        span = _glued_ipv4(text, m)
        if span and not _VERSION_BEFORE.search(text[max(0, span[0] - 12):span[0]]):
            out.append(("ip", *span))
    if digits < 8:
        return out
    if "+" in text[lo:hi]:
        for m in _INTL.finditer(text, lo, hi):
            span = _intl_phone(text, m)
            if span:
                out.append(("phone", *span))
    for rx in (_NANP, _CN_MOBILE, _CN_LANDLINE):
        for m in rx.finditer(text, lo, hi):
            out.append(("phone", m.start(), m.end()))
    return out


_DIGIT = re.compile(r"\d")


def _digit_count(text: str, lo: int, hi: int) -> int:
    """Number of decimal digits (re's \\d) in text[lo:hi]."""
    return len(_DIGIT.findall(text, lo, hi))


def _candidates_full_scan(text: str) -> list[tuple[str, int, int]]:
    """Reference: the same candidates from whole-text scans (tests compare the two)."""
    out = _text_candidates(text)
    out.extend(_digit_candidates(text, 0, len(text)))
    return out


# An IPv6 match is a run of hex digits, colons and dots holding two colons with at most four hex digits
# between them; _IPV6 only runs on such runs (up to the character after, for its lookahead).
_IPV6_SEED = re.compile(r":[0-9A-Fa-f]{0,4}:")
_IPV6_RUN = re.compile(r"[0-9A-Fa-f:.]*")
_IPV6_CHARS = frozenset("0123456789ABCDEFabcdef:.")


def _ipv6(text: str) -> list[tuple[str, int, int]]:
    out = []
    pos = 0
    while (seed := _IPV6_SEED.search(text, pos)) is not None:
        start = seed.start()
        while start > pos and text[start - 1] in _IPV6_CHARS:
            start -= 1
        pos = _IPV6_RUN.match(text, seed.end()).end()
        out.extend(_ipv6_in(text, start, pos + 1))
    return out


def _ipv6_in(text: str, lo: int, hi: int) -> list[tuple[str, int, int]]:
    out = []
    for m in _IPV6.finditer(text, lo, hi):
        s = m.group(0)
        if not any(c.isdigit() for c in s) or ("::" not in s and s.count(":") != 7):
            continue
        if sum(1 for g in s.split(":") if g) < 2:
            continue  # "::1"-like fragments are scores and times more often than addresses
        try:
            ipaddress.IPv6Address(s)
        except ValueError:
            continue
        out.append(("ip", m.start(), m.end()))
    return out


def find_pii(text: str, count: Count | None = None) -> list[dict]:
    """PII spans in ``text``: ``[{'type', 'start', 'end'}]`` sorted by start, non-overlapping."""
    if not text:
        return []
    cands = sorted(set(_candidates(text)), key=lambda c: (-(c[2] - c[1]), _PRIORITY[c[0]], c[1]))
    taken: list[tuple[int, int]] = []
    spans = []
    for typ, s, e in cands:
        if any(s < te and ts < e for ts, te in taken):
            continue
        taken.append((s, e))
        spans.append({"type": typ, "start": s, "end": e})
    spans.sort(key=lambda d: (d["start"], d["end"]))
    if count is not None:
        for sp in spans:
            count(f"pii_{sp['type']}", 1)
    return spans


# The compiled kernels of filters/_native/pii.pyx replace these pure-Python references when they are
# built (tests/filters/test_native_pii.py checks each pair gives the same result).
PY_KERNELS = {"numeric_windows": _numeric_windows, "prescan": _prescan, "digit_count": _digit_count}
_KERNELS = native("pii")
if _KERNELS is not None:
    _numeric_windows = _KERNELS.numeric_windows
    _prescan = _KERNELS.prescan
    _digit_count = _KERNELS.digit_count


def redact(text: str, spans: list[dict], placeholder_fmt: str = "<{TYPE}>",
           policy: dict[str, str] | None = None) -> tuple[str, list[dict]]:
    """Replace PII spans and return ``(redacted_text, records)``.

    ``policy`` maps a type to ``'placeholder'`` (default: ``placeholder_fmt`` formatted with
    ``TYPE``/``type``), ``'mask'`` (same-length ``*`` string, keeps offsets) or ``'keep'``.
    Overlapping spans after the first are ignored. Each record: ``type``, ``start``, ``end`` (in
    the input), ``new_start``, ``new_end`` (in the output), ``action``, ``replacement``. The
    original values are not recorded.
    """
    policy = policy or {}
    parts, records = [], []
    pos = 0
    out_len = 0
    for sp in sorted(spans, key=lambda d: (d["start"], d["end"])):
        s, e, typ = sp["start"], sp["end"], sp["type"]
        if s < pos or e <= s:
            continue
        action = policy.get(typ, "placeholder")
        if action == "keep":
            continue
        if action == "mask":
            rep = "*" * (e - s)
        elif action == "placeholder":
            rep = placeholder_fmt.format(TYPE=typ.upper(), type=typ)
        else:
            raise ValueError(f"unknown redaction action {action!r} for {typ}")
        parts.append(text[pos:s])
        out_len += s - pos
        records.append({"type": typ, "start": s, "end": e, "new_start": out_len, "new_end": out_len + len(rep),
                        "action": action, "replacement": rep})
        parts.append(rep)
        out_len += len(rep)
        pos = e
    parts.append(text[pos:])
    return "".join(parts), records
