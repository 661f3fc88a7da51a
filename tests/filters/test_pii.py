"""Tests of filters.pii: checksums, formats, precision cases, overlaps, redaction, planted corpus items."""
from __future__ import annotations

import datetime

import pytest

from filters.pii import cn_id_valid, credit_card_valid, find_pii, luhn_valid, redact


def found(text):
    return [(s["type"], text[s["start"]:s["end"]]) for s in find_pii(text)]


def make_cn_id(body17: str) -> str:
    w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(c) * k for c, k in zip(body17, w)) % 11]


def test_luhn_and_cards():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert credit_card_valid("4111 1111 1111 1111")
    assert credit_card_valid("3782-822463-10005")  # Amex 15 digits, 4-6-5
    assert not credit_card_valid("4111 1111 1111 1112")  # Luhn fails
    assert not credit_card_valid("9783161484100")  # ISBN-13: no card prefix
    assert not credit_card_valid("0000000000000000")
    assert found("pay with 4111 1111 1111 1111 today") == [("credit_card", "4111 1111 1111 1111")]
    assert found("pay with 4111-1111-1111-1111.") == [("credit_card", "4111-1111-1111-1111")]
    assert found("card 5500005555555559 ok") == [("credit_card", "5500005555555559")]
    assert found("bad 4111 1111 1111 1112 and 1234 5678 9012 3456") == []
    # a card after a year and before a time; a card inside a decimal fraction is not one
    assert found("19. august 2010 4111 1111 1111 1111 12:46") == [("credit_card", "4111 1111 1111 1111")]
    assert found("value 1.4111111111111111 here") == []


def test_cn_id():
    good = make_cn_id("11010519491231002")
    assert cn_id_valid(good)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    assert not cn_id_valid(bad_check)
    assert not cn_id_valid(make_cn_id("11010519490231002"))  # 31 Feb... month 02 day 31
    assert not cn_id_valid(make_cn_id("11010518000101002"))  # born 1800
    assert not cn_id_valid(make_cn_id("99010519491231002"))  # no such region
    future = make_cn_id(f"110105{datetime.date.today().year + 1}0101002")
    assert not cn_id_valid(future)
    assert found(f"身份证号{good}，请核对") == [("cn_id", good)]
    assert found(f"id {bad_check} end") == []
    # an ID glued to one more digit in unspaced text is still found, and is not a phone
    assert found(f"比如16+{good}8减肥法") == [("cn_id", good)]
    # an ID ending in the check character X is found after any digits glued before it
    x_id = next(i for i in (make_cn_id(f"510107198610162{n:02d}") for n in range(100)) if i.endswith("X"))
    assert found(f"体验，4045 3985{x_id} 5159 5983继续") == [("cn_id", x_id)]
    assert found(f"体验，4045 3985{x_id[:17]}1 5159") == []  # without the X: a long number, no ID


def test_phones():
    assert found("Call +1 (555) 234-5678 now") == [("phone", "+1 (555) 234-5678")]
    assert found("Tel. +49 30 1234567 2024 geöffnet") == [("phone", "+49 30 1234567")]
    assert found("电话13812345678联系") == [("phone", "13812345678")]
    assert found("手机 138 1234 5678。") == [("phone", "138 1234 5678")]
    assert found("office (555) 234-5678 or 555-234-5678") == [("phone", "(555) 234-5678"), ("phone", "555-234-5678")]
    assert found("+33 1 23 45 67 89 Paris") == [("phone", "+33 1 23 45 67 89")]


def test_emails():
    assert found("write to li.wei12@mail.example.org.") == [("email", "li.wei12@mail.example.org")]
    assert found("这是何k.mueller69@gmail.com猷君") == [("email", "k.mueller69@gmail.com")]
    assert found("logo@2x.png and icon@3x.webp") == []


def test_emails_glued_to_following_text():
    # CJK text joins Latin words and numbers without spaces: the address ends at a real TLD
    assert found("Ai shi qu de ai contact99@example.comtao bu hui") == [("email", "contact99@example.com")]
    assert found("想说的是li.wei15@163.com1.8t旗舰") == [("email", "li.wei15@163.com")]
    assert found("write a@b.company now") == [("email", "a@b.company")]  # a real TLD is never cut
    assert found("x@foo.notatld y") == [("email", "x@foo.notatld")]  # unknown TLD without a real prefix: as written
    assert found("foo@bar.com-baz and z@host.zip") == []


def test_ips():
    assert found("from 192.168.1.10, ok") == [("ip", "192.168.1.10")]
    assert found("破坏112.58.156.241了") == [("ip", "112.58.156.241")]
    for v6 in ("2001:db8::1", "fe80::1ff:fe23:4567:890a", "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
               "::ffff:192.0.2.128"):
        assert found(f"addr {v6} end") == [("ip", v6)], v6
    assert found("std::cout at 12:30:45 and ::1.") == []
    assert found("version 10.0.0.1, v1.2.3.4 and section 4.1.1.3") == []
    assert found("256.1.1.1 and 1.2.3.4.5") == []


def test_precision_negatives():
    text = ("Price $1,234.56 on 2024-01-15, ISBN 978-3-16-148410-0, version 1.2.3, build 20240115123456, "
            "order 13800000000000, ts 1700000000, 2.5.1-beta, 3.14159265358979, tel 12345")
    assert find_pii(text) == []


def test_overlaps_are_resolved():
    cid = make_cn_id("44030519900101123")
    text = f"{cid} 13912345678@163.com 4111111111111111"
    got = found(text)
    assert got == [("cn_id", cid), ("email", "13912345678@163.com"), ("credit_card", "4111111111111111")]
    spans = find_pii(text)
    assert all(a["end"] <= b["start"] for a, b in zip(spans, spans[1:]))


def test_redact_and_counter():
    text = "Mail a.b@example.com or call +49 30 1234567."
    counts = {}
    spans = find_pii(text, count=lambda n, k=1: counts.__setitem__(n, counts.get(n, 0) + k))
    assert counts == {"pii_email": 1, "pii_phone": 1}
    new, recs = redact(text, spans)
    assert new == "Mail <EMAIL> or call <PHONE>."
    assert [r["type"] for r in recs] == ["email", "phone"]
    assert all(new[r["new_start"]:r["new_end"]] == r["replacement"] for r in recs)
    masked, _ = redact(text, spans, policy={"email": "mask", "phone": "keep"})
    assert masked == "Mail " + "*" * len("a.b@example.com") + " or call +49 30 1234567."
    custom, _ = redact(text, spans, placeholder_fmt="[{type}]")
    assert custom == "Mail [email] or call [phone]."
    with pytest.raises(ValueError):
        redact(text, spans, policy={"email": "shred"})


def test_planted_pii_in_corpus(corpus_small):
    from tests.corpus import read_docs, read_truth

    docs = {i: d["text"] for i, d in read_docs(corpus_small).items()}
    n = hit = 0
    for t in read_truth(corpus_small).values():
        for typ, val in t.get("pii") or []:
            text = docs[t["id"]]
            k = text.find(val)
            n += 1
            hit += any(s["type"] == typ and s["start"] < k + len(val) and k < s["end"] for s in find_pii(text))
    assert n >= 20 and hit == n


def test_windowed_scan_equals_full_scan(shared_data):
    """The digit-run prefilter never changes what is found (real pages + tricky synthetic lines)."""
    import lzma
    import json as _json

    from filters import pii as pii_mod

    texts = [_json.loads(line)["text"] for line in lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt")]
    texts += ["call +1 (555) 234-5678 or 010-62345678 now", "ip 192.168.1.20/24 and 10.0.0.1.",
              "id 11010519491231002X, card 4111 1111 1111 1111, tel 138 1234 5678",
              "v1.2.3.4 build 2.0.0.1 and 2010 4307 4188 7473 0951"]
    for text in texts:
        assert sorted(set(pii_mod._candidates(text))) == sorted(set(pii_mod._candidates_full_scan(text)))


def test_items_glued_into_cjk_and_thai_text():
    # Han, kana and Thai text runs into Latin words and numbers without spaces: checksummed items are
    # found whatever touches them, the others when only letters (or, inside such text, stray digits) do
    assert found("本网站使用cook4111 1111 1111 1111ie来改善") == [("credit_card", "4111 1111 1111 1111")]
    assert found("上调了0.6个百分点至4111 1111 1111 11111%，将今年") == [("credit_card", "4111 1111 1111 1111")]
    assert found("的。,------------4111 1111 1111 1111---------,但") == [("credit_card", "4111 1111 1111 1111")]
    assert found("ภาพันธ์ 256011010519491231002X สมคิด") == [("cn_id", "11010519491231002X")]
    assert found("举报电话：11010519491231002X021-34144567 |")[0] == ("cn_id", "11010519491231002X")
    assert found("Wi-Fiの利用UN11010519491231002XIQLOのホルター") == [("cn_id", "11010519491231002X")]
    assert found("那个亚裔for216.193.34.74d的办公室") == [("ip", "216.193.34.74")]
    assert found("那土城比中国新疆20103.85.114.900年的土城") == [("ip", "103.85.114.90")]
    assert found("ปีที่ 24104.73.73.90 ฉบับที่") == [("ip", "104.73.73.90")]
    assert found("不仅仅安徽嗯.....132.212.227.147..我们") == [("ip", "132.212.227.147")]
    assert found("ของ 18.215.32.130- 2564") == [("ip", "18.215.32.130")]
    assert found("町田市の全教職員約2,0+1 (580) 267-788900人分") == [("phone", "+1 (580) 267-7889")]
    assert found("注文が先日２８15774430075日にドイツ") == [("phone", "15774430075")]
    assert found("เวลา 16:05 น.j.smith14@example.com รายงาน") == [("email", "j.smith14@example.com")]
    assert found("ต่างประเทศ -li.wei31@web.de คณะ") == [("email", "li.wei31@web.de")]
    assert found("时间：2023-08-14 zhang.san57@gmail.com-14\n") == [("email", "zhang.san57@gmail.com")]


def test_glue_rules_keep_precision():
    assert found("帮助文档?spm=a2c4g.434034.0.0.21711607IHSSjw\n支持以") == []  # URL parameter
    assert found("release 1.2.3.4567 is out") == []       # a version number, no CJK/Thai text near
    assert found("版本 2.5.1.1234 已发布") == []            # ... and after 版本
    assert found("Chrome 120.0.6099.129 版") == []
    assert found("were over 176.109.207.191 a thousand") == [("ip", "176.109.207.191")]  # "over" is no "ver"
    assert found("v1.20.3.40 build") == []
    assert found("foo@bar.com-baz") == []
    assert found("2024年1234 5678 9012 3456元") == []  # grouped, Luhn fails


def test_international_number_closed_by_an_unopened_bracket_keeps_its_country_code():
    text = "Write to us (desk@example.org, +1 202 555 0147). Or (+44 20 7946 0958)."
    found = [(p["type"], text[p["start"]:p["end"]]) for p in find_pii(text)]
    assert ("phone", "+1 202 555 0147") in found and ("phone", "+44 20 7946 0958") in found
    assert not find_pii("(+1 202 555 014)")           # 10 digits after +1 are no number


def _reference_windows(text: str) -> list[tuple[int, int]]:
    """The numeric windows as the plain pattern with the optional leading "+"/"(" class gives them."""
    import re
    expected = []
    for m in re.finditer(r"[+(]?\d[\d\s().:/+-]{5,}[\dxX]", text):
        s, e = max(0, m.start() - 1), min(len(text), m.end() + 2)
        if expected and s <= expected[-1][1]:
            expected[-1] = (expected[-1][0], max(expected[-1][1], e))
        else:
            expected.append((s, e))
    return expected


def test_numeric_windows_match_the_runs_with_their_leading_plus_or_bracket():
    """The windows are searched from a run's first digit; a "+" or "(" before it is part of the run,
    as the reference pattern with the optional leading class gives."""
    from filters.pii import _numeric_windows
    texts = ["call +1 202 555 0147 or (030) 1234-5678", "++(12345678", "+(1234567 x", "((12345678)",
             "a+b 1234567 c(7654321", "12345678+(1234567", "ids 1.2.3.4.5.6.7 and 99 (8)"]
    for text in texts:
        assert _numeric_windows(text) == _reference_windows(text), text
    assert _numeric_windows(texts[0])[0][0] == 4          # the window starts before the "+1"


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="+( )0123456789x.-/:a\n", max_size=60))
def test_numeric_windows_equal_the_reference_pattern_on_any_text(text):
    from filters.pii import _numeric_windows
    assert _numeric_windows(text) == _reference_windows(text)


def _reference_text_candidates(text):
    """E-mail and IPv6 candidates by whole-text scans (before the "@" and colon-run seeds)."""
    from filters import pii as pii_mod

    out = []
    for m in pii_mod._EMAIL.finditer(text):
        end = pii_mod._email_end(text, m)
        if end is not None:
            out.append(("email", m.start(), end))
    if "::" in text or text.count(":") >= 7:
        out.extend(pii_mod._ipv6_in(text, 0, len(text)))   # one scan of the whole text
    return out


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "b.", "x@", "@", "@y.com", ".org", "-", "_", "%", "1", "::", ":", "fe80",
                                 "2001:db8", "::1", ".", "192.168.0.1", " ", "g", "é", "中", "ab" * 40]),
                max_size=30).map("".join))
def test_seeded_email_and_ipv6_scans_equal_whole_text_scans(text):
    from filters.pii import _text_candidates
    assert _text_candidates(text) == _reference_text_candidates(text)


def test_seeded_email_and_ipv6_scans_on_pages(shared_data):
    import lzma
    import json as _json

    from filters.pii import _text_candidates

    texts = [_json.loads(line)["text"] for line in lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt")]
    texts += ["mail " + "a" * 70 + "@example.com", "x" * 64 + "@b.co and y@c.org", "fe80::1:2 g2001:db8::1 ::ffff:1.2.3.4",
              "1:2:3:4:5:6:7:8 and 12:30:45 and ab::cd::ef", "a@b@c.com @@d.org"]
    for text in texts:
        assert _text_candidates(text) == _reference_text_candidates(text)
