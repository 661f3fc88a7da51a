"""Tests of filters.urlfilter on the real UT1 / zh_konsheng lists and a small fixture folder."""
from __future__ import annotations

import pytest

from filters.urlfilter import UrlBlocklist, split_url


@pytest.fixture(scope="module")
def ut1(shared_data):
    ub = UrlBlocklist.from_ut1_dir(shared_data / "safety" / "ut1")
    ub.add_host_file("illegal_urls", next((shared_data / "safety" / "zh_konsheng").glob("illegal_urls__*.txt")))
    return ub


@pytest.fixture()
def small(tmp_path):
    (tmp_path / "gambling__domains.txt").write_text("casino.com\nbet.example.org\n10.1.2.3\n")
    (tmp_path / "adult__domains.txt").write_text("casino.com\nsite.example\n")
    (tmp_path / "adult__urls.txt").write_text("blog.example/porn\nquora.com/Older-Stuff\n")
    (tmp_path / "adult__expressions.txt").write_text(r"(^|[-/.])xxxvideos?([-/.]|$)" + "\n")
    (tmp_path / "adult__very_restrictive_expression.txt").write_text(r"(^|[-/])sex([-/]|$)" + "\n")
    (tmp_path / "sexual_education__domains.txt").write_text("health.site.example\n")
    return tmp_path


def test_split_url_normalises():
    assert split_url("HTTPS://WWW.Example.COM:8080/A/B?x=1") == ("example.com", "/a/b?x=1")
    assert split_url("www2.example.com") == ("example.com", "/")
    assert split_url("//user:pw@Example.com./p") == ("example.com", "/p")


def test_parent_domain_and_scheme_insensitive(small):
    ub = UrlBlocklist.from_ut1_dir(small)
    assert ub.category("http://casino.com") == "adult"  # two categories: alphabetical first
    assert ub.category("https://www.a.b.bet.example.org/x") == "gambling"
    assert ub.category("bet.example.org") == "gambling"
    assert ub.category("https://notbet.example.org/") is None  # not a parent domain, a different label
    assert ub.category("http://example.org/") is None  # a parent of an entry is not blocked
    assert ub.category("http://10.1.2.3:8080/index") == "gambling"


def test_url_prefix_boundary(small):
    ub = UrlBlocklist.from_ut1_dir(small)
    assert ub.category("https://www.blog.example/porn/page1") == "adult"
    assert ub.category("http://blog.example/porn") == "adult"
    assert ub.category("http://blog.example/pornography-history") is None
    assert ub.category("http://blog.example/") is None
    assert ub.category("https://quora.com/older-stuff?ref=1") == "adult"  # case-insensitive path
    m = ub.match("http://blog.example/porn/x")
    assert m.kind == "url" and m.rule == "blog.example/porn"


def test_expressions_and_very_restrictive(small):
    ub = UrlBlocklist.from_ut1_dir(small)
    assert ub.category("http://foo.example/xxxvideos/1") == "adult"
    assert ub.category("http://foo.example/sex/1") is None
    strict = UrlBlocklist.from_ut1_dir(small, very_restrictive=True)
    assert strict.category("http://foo.example/sex/1") == "adult"


def test_allow_list_wins(small):
    ub = UrlBlocklist.from_ut1_dir(small)
    assert ub.category("http://site.example/") == "adult"
    assert ub.category("http://health.site.example/contraception") is None
    m = ub.match("http://health.site.example/contraception")
    assert m.allowed and m.category == "sexual_education"
    # allow-list categories are kept even when only some block categories are chosen
    only = UrlBlocklist.from_ut1_dir(small, categories=["adult"])
    assert only.category("http://health.site.example/") is None
    assert only.category("http://bet.example.org/") is None


def test_deterministic_choice_independent_of_load_order():
    a, b = UrlBlocklist(), UrlBlocklist()
    a.add_domains("zeta", ["x.example"])
    a.add_domains("alpha", ["x.example"])
    b.add_domains("alpha", ["x.example"])
    b.add_domains("zeta", ["x.example"])
    assert a.category("http://x.example") == b.category("http://x.example") == "alpha"
    # the more specific rule wins over the category name
    a.add_domains("mid", ["deep.x.example"])
    assert a.category("http://deep.x.example/") == "mid"


def test_real_lists(ut1, shared_data):
    assert len(ut1) > 50000
    gambling = (shared_data / "safety" / "ut1" / "gambling__domains.txt").read_text().split()
    host = next(h for h in gambling if h.count(".") == 1)
    assert ut1.category(f"https://www.shop.{host}/promo") == "gambling"
    assert ut1.category("https://020sextoy.com/sk/item") == "adult"
    assert ut1.category("http://doctissimo.fr/sante") is None  # allow-listed sexual_education
    assert ut1.category("http://www.game163.in/") == "illegal_urls"
    assert ut1.category("https://en.wikipedia.org/wiki/Casino") is None
    counts = {}
    ut1.category("http://www.game163.in/", count=lambda n, k=1: counts.__setitem__(n, counts.get(n, 0) + k))
    assert counts == {"url_blocked_illegal_urls": 1}


def test_canonical_host_fast_path_agrees_with_split_url(shared_data):
    """add_domains stores an already-canonical entry as it is; split_url must give it back unchanged
    for every such entry of the real lists and for the edge cases around the pattern."""
    from filters.urlfilter import _CANONICAL_HOST
    lines = [line.strip() for f in sorted((shared_data / "safety").rglob("*domains*.txt"))
             for line in f.read_text(encoding="utf-8", errors="replace").splitlines()]
    lines += ["a", "a-", "-a", "1.2.3.4", "x.y.", "www.x.y", "www7.x.y", "wwwx.com", "ab..cd", "x.y-", "a.b:80",
              "Ab.com", "ab.com/path", "xn--bcher-kva.example", "bücher.example"]
    fast = [h for h in lines if h and _CANONICAL_HOST.fullmatch(h) and not h.startswith("www")]
    assert len(fast) > 30000
    assert [h for h in fast if split_url(h) != (h, "/")] == []
    for h in ("x.y.", "www.x.y", "Ab.com", "ab.com/path", "bücher.example", "a.b:80"):
        assert h not in fast


def _split_url_by_urlsplit(url: str) -> tuple[str, str]:
    """split_url without its fast paths: every URL through urlsplit (the reference of the http(s) one)."""
    from urllib.parse import urlsplit

    from filters.urlfilter import _SCHEME, normalize_host
    url = url.strip()
    if not _SCHEME.match(url):
        url = "http://" + url.lstrip("/")
    try:
        parts = urlsplit(url)
    except ValueError:
        return "", ""
    rest = parts.path or "/"
    if parts.query:
        rest += "?" + parts.query
    return normalize_host(parts.netloc), rest.lower()


def test_http_url_fast_path_equals_urlsplit(shared_data):
    import json
    import lzma

    from hypothesis import given, settings, strategies as st

    from filters.urlfilter import _HTTP_URL, _PLAIN_HOST
    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        urls = [json.loads(line).get("url") or "" for line in f]
    urls += [u + tail for u in ("http://a.b", "https://WWW.Ex-ample.COM.", "http://x", "https://1.2.3.4")
             for tail in ("", "/", "?", "#", "/?#", "/P?Q#F", "#f?q", "?q#f?g", "/a?b?c", "/%7E~!$&'()*+,;=:@",
                          "/a b", "/a\tb", "/\u00e9", " ", "/a\r\n")]
    urls += ["HTTP://a.b/", "http://user@a.b/", "http://a.b:80/", "http://[::1]/", "ftp://a.b/", "http:/a.b",
             "http://a_b.c/", "http://-a.b/", "http://a..b/", "http://.a/"]
    taken = [u for u in urls if _HTTP_URL.fullmatch(u.strip()) and not _PLAIN_HOST.fullmatch(u.strip())]
    assert len(taken) > 500
    assert [u for u in urls if split_url(u) != _split_url_by_urlsplit(u)] == []

    @settings(max_examples=2000, deadline=None)
    @given(st.sampled_from(["http://", "https://", "http://www.", "https://a"]),
           st.text(st.sampled_from("aZ09.-_/?#:@[]% \t\u00e9~!&="), max_size=30))
    def check(prefix, tail):
        url = prefix + tail
        assert split_url(url) == _split_url_by_urlsplit(url)
    check()
