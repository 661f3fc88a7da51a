"""URL and domain blocklists (UT1 layout) with an allow-list.

Rules, by kind:
- ``domains``: a host matches an entry when it equals it or is a sub-domain of it
  (``a.b.casino.com`` matches ``casino.com``). Entries may be IPv4 addresses.
- ``urls``: ``host/path`` prefixes. A URL matches when its host (or a parent domain of it) equals
  the entry host and its path starts with the entry path at a boundary (the next character is not
  a letter or digit). Scheme, ``www.``, port, user info, trailing dots and case are ignored.
- ``expressions``: regular expressions searched in the lower-cased ``host/path?query`` form.
  UT1's ``very_restrictive_expression`` files are loaded only with ``very_restrictive=True``
  (they fire on any URL with ``/teen-`` or ``-sex.`` in it).

Allow-list categories (default ``sexual_education``) win: a URL matching one is never blocked.
When several block rules match, the most specific wins: longest URL-prefix rule, then longest
domain rule, then an expression; ties go to the alphabetically first category. So the answer
does not depend on the order in which lists were loaded.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

from filters.counting import Count


_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://")
_WWW = re.compile(r"^www\d{0,3}\.")
_PLAIN_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-]*")   # a bare host name: what urlsplit would give as is
# a host normalize_host leaves as it is (lower case, no trailing dot); www-prefixed ones are excluded apart
_CANONICAL_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.\-]*[a-z0-9\-])?")
# most page URLs: http(s), a bare host name, then printable ASCII (no whitespace); for these urlsplit's
# netloc is the host, its fragment starts at the first "#" and its query at the first "?" before that
_HTTP_URL = re.compile(r"https?://([A-Za-z0-9.\-]+)([/?#][!-~]*)?")


@dataclass(frozen=True)
class UrlMatch:
    """Why a URL matched: ``category``, ``kind`` (domain|url|expression), ``rule`` and ``allowed``."""

    category: str
    kind: str
    rule: str
    allowed: bool = False


def normalize_host(host: str) -> str:
    """Lower-cased host without port, user info, trailing dot or a leading ``www.``/``wwwN.``."""
    host = host.strip().lower()
    if "@" in host:
        host = host.rsplit("@", 1)[1]
    if host.startswith("["):
        host = host[1:host.find("]")] if "]" in host else host[1:]
    elif ":" in host:
        host = host.split(":", 1)[0]
    host = host.rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        pass
    return _WWW.sub("", host)


def split_url(url: str) -> tuple[str, str]:
    """``(host, rest)`` of a URL with or without scheme; ``rest`` is the lower-cased path+query."""
    url = url.strip()
    if _PLAIN_HOST.fullmatch(url):      # most list entries: no scheme, port, user or path
        return normalize_host(url), "/"
    m = _HTTP_URL.fullmatch(url)
    if m is not None:                   # most page URLs: urlsplit's parts without urlsplit
        path, _, query = (m.group(2) or "").split("#", 1)[0].partition("?")
        rest = path or "/"
        if query:
            rest += "?" + query
        return normalize_host(m.group(1)), rest.lower()
    if not _SCHEME.match(url):
        url = "http://" + url.lstrip("/")
    try:
        parts = urlsplit(url)
        netloc, path, query = parts.netloc, parts.path, parts.query
    except ValueError:
        return "", ""
    rest = path or "/"
    if query:
        rest += "?" + query
    return normalize_host(netloc), rest.lower()


_IPV4_HOST = re.compile(r"[\d.]+")


def _parents(host: str) -> list[str]:
    """``host`` then each parent domain, most specific first (a bare IPv4 has no parents)."""
    if _IPV4_HOST.fullmatch(host):
        return [host]
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


class UrlBlocklist:
    """Domains, URL prefixes and expressions per category; ``category(url)`` gives the verdict."""

    def __init__(self, allow: Iterable[str] = ("sexual_education",)):
        self.allow = frozenset(allow)
        self._domains: dict[str, set[str]] = {}
        self._urls: dict[str, list[tuple[str, str]]] = {}
        self._exprs: list[tuple[str, re.Pattern, str]] = []

    # ---- loading ----------------------------------------------------------------------------
    def add_domains(self, category: str, hosts: Iterable[str]) -> int:
        """Add host entries (entries with a path become URL-prefix rules); return the number added."""
        n = 0
        for h in hosts:
            h = h.strip()
            if not h or h.startswith("#"):
                continue
            if _CANONICAL_HOST.fullmatch(h) and not h.startswith("www"):   # most entries: already canonical
                self._domains.setdefault(h, set()).add(category)
                n += 1
                continue
            host, rest = split_url(h)
            if not host:
                continue
            if rest not in ("", "/"):
                self._add_url(category, host, rest)
            else:
                self._domains.setdefault(host, set()).add(category)
            n += 1
        return n

    def add_urls(self, category: str, urls: Iterable[str]) -> int:
        """Add ``host/path`` prefix entries; return the number added."""
        n = 0
        for u in urls:
            u = u.strip()
            if not u or u.startswith("#"):
                continue
            host, rest = split_url(u)
            if not host:
                continue
            if rest in ("", "/"):
                self._domains.setdefault(host, set()).add(category)
            else:
                self._add_url(category, host, rest)
            n += 1
        return n

    def _add_url(self, category: str, host: str, rest: str) -> None:
        rest = rest.rstrip("/") or "/"
        self._urls.setdefault(host, []).append((rest, category))

    def add_expressions(self, category: str, patterns: Iterable[str]) -> int:
        """Add regular expressions (searched in the lower-cased ``host/path?query``)."""
        n = 0
        for p in patterns:
            p = p.strip()
            if p:
                self._exprs.append((category, re.compile(p, re.IGNORECASE), p))
                n += 1
        self._exprs.sort(key=lambda e: (e[0], e[2]))
        return n

    @classmethod
    def from_ut1_dir(cls, path: str | os.PathLike, categories: Iterable[str] | None = None,
                     allow: Iterable[str] = ("sexual_education",), very_restrictive: bool = False) -> "UrlBlocklist":
        """Load ``<cat>__domains.txt``, ``<cat>__urls.txt``, ``<cat>__expressions.txt`` (and
        ``<cat>__very_restrictive_expression.txt`` when asked) for ``categories`` (None = all).
        Allow-list categories are always loaded."""
        self = cls(allow=allow)
        want = set(categories) if categories is not None else None
        for f in sorted(Path(path).glob("*__*.txt")):
            cat, kind = f.stem.split("__", 1)
            if want is not None and cat not in want and cat not in self.allow:
                continue
            lines = _read_lines(f)
            if kind == "domains":
                self.add_domains(cat, lines)
            elif kind == "urls":
                self.add_urls(cat, lines)
            elif kind in ("expressions", "expression"):
                self.add_expressions(cat, lines)
            elif kind == "very_restrictive_expression" and very_restrictive:
                self.add_expressions(cat, lines)
        return self

    def add_host_file(self, category: str, path: str | os.PathLike) -> int:
        """Add a host list file (e.g. zh_konsheng ``illegal_urls__*.txt``) as a domains category."""
        return self.add_domains(category, _read_lines(Path(path)))

    # ---- matching ---------------------------------------------------------------------------
    def match(self, url: str) -> UrlMatch | None:
        """The deciding rule for ``url`` (``allowed=True`` for an allow-list hit), or None."""
        host, rest = split_url(url)
        if not host:
            return None
        found: list[tuple[tuple, UrlMatch]] = []
        for depth, h in enumerate(_parents(host)):
            for entry_rest, cat in self._urls.get(h, ()):
                if _path_prefix(rest, entry_rest):
                    found.append(((0, -len(h) - len(entry_rest), cat), UrlMatch(cat, "url", h + entry_rest)))
            for cat in self._domains.get(h, ()):
                found.append(((1, -len(h), cat), UrlMatch(cat, "domain", h)))
        if self._exprs:
            target = host + rest
            for cat, rx, src in self._exprs:
                if rx.search(target):
                    found.append(((2, 0, cat), UrlMatch(cat, "expression", src)))
        if not found:
            return None
        allowed = [f for f in found if f[1].category in self.allow]
        if allowed:
            m = min(allowed, key=lambda f: f[0])[1]
            return UrlMatch(m.category, m.kind, m.rule, allowed=True)
        return min(found, key=lambda f: f[0])[1]

    def category(self, url: str, count: Count | None = None) -> str | None:
        """Blocking category of ``url``, or None when nothing blocks it (or an allow rule matches)."""
        m = self.match(url)
        if m is None or m.allowed:
            if count is not None and m is not None:
                count("url_allowed", 1)
            return None
        if count is not None:
            count(f"url_blocked_{m.category}", 1)
        return m.category

    def __len__(self) -> int:
        return len(self._domains) + sum(len(v) for v in self._urls.values()) + len(self._exprs)


def _path_prefix(rest: str, entry: str) -> bool:
    if entry == "/":
        return True
    if not rest.startswith(entry):
        return False
    return len(rest) == len(entry) or not rest[len(entry)].isalnum()


def _read_lines(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        return [line.strip() for line in fh if line.strip()]
