"""Every regular expression of filters/ (and the scorers that run them) over hostile 100 KB strings.

Finds each module-level compiled pattern in filters/*.py, runs ``finditer`` over strings built to
make backtracking engines blow up (long digit runs after ``+1``, dotted and dashed number chains,
``a@`` and ``a.`` chains, URL-ish runs, CJK and Thai runs glued to digits, separators and
brackets), and reports the slowest (pattern, string) pairs. Then runs the whole-document scorers
(PII, quality with segmentation, URL filter, blocklist) on the same strings. The bound: every
pattern and every scorer finishes each 100 KB string in under 1 s.

    .venv/bin/python benchmarks/bench_hostile_regex.py [--size 100000]
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import write_section  # noqa: E402

BOUND_S = 1.0
# Patterns whose callers only run them inside a window of at most N characters (match/search with
# pos and endpos): they are timed the same way, at every position of the string.
WINDOWED = {"quality._EMAIL_LOCAL": 64, "quality._EMAIL_DOMAIN": 255, "segment._LAST_SPACE_OR_CJK": 24,
            "spam._HANDLE": 40}


def hostile_strings(size: int) -> dict[str, str]:
    """Named strings of about ``size`` characters, each a repeated unit that feeds one family of
    patterns (digits, separators, e-mail and URL syntax, unspaced scripts) without ever ending it."""
    units = {
        "plus1_40digits": "+1" + "9" * 40,
        "digits": "7",
        "digit_dot": "1.",
        "digit_dash": "1-",
        "digit_space": "1 ",
        "digit_paren": "(12) ",
        "digits_mixed_sep": "12 .-(3)",
        "ipv4_chain": "255.255.",
        "hex_colon": "ab:",
        "email_local": "a.",
        "email_at": "a@",
        "email_domain": "a@b.c.",
        "email_dash": "a-",
        "url_dots": "www.a",
        "url_path": "http://a/" + "b/",
        "slashes": "/",
        "letters": "a",
        "words": "word ",
        "caps": "ABC ",
        "dots": ".",
        "bangs": "!",
        "newlines": "\n",
        "spaces_newlines": " \n",
        "bullets": "- ",
        "cjk": "中",
        "cjk_digits": "中1",
        "thai": "ก",
        "hangul": "한",
        "mixed_script": "a中1.",
        "x_digits": "1X",
        "cn_id_like": "11010519491231002",
        "card_groups": "4111 1111 ",
        "card_dashes": "4111-",
        "at_dots": "@.",
        "html_like": "<a ",
        "lorem_dot_space": "Mr. A. ",
    }
    return {name: (unit * (size // len(unit) + 1))[:size] for name, unit in units.items()}


def filter_patterns() -> dict[str, re.Pattern]:
    """{module.name: pattern} for every module-level compiled regex in the filters package."""
    import filters

    found = {}
    for info in pkgutil.iter_modules(filters.__path__):
        module = importlib.import_module(f"filters.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found[f"{info.name}.{name}"] = value
    return found


def time_call(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def scorers():
    """(name, callable(text)) for the whole-document scorers that run the patterns."""
    from filters import pii, segment, urlfilter
    from filters.quality import QualityScorer

    quality = QualityScorer()
    out = [("pii.find_pii", lambda t: pii.find_pii(t)),
           ("segment.paragraph_spans", lambda t: segment.paragraph_spans(t)),
           ("segment.sentence_spans(en)", lambda t: segment.sentence_spans(t, "en")),
           ("segment.sentence_spans(zh)", lambda t: segment.sentence_spans(t, "zh")),
           ("quality.score(en)", lambda t: quality.score(t, "en")),
           ("quality.score(zh)", lambda t: quality.score(t, "zh")),
           ("urlfilter.split_url", lambda t: urlfilter.split_url("http://" + t[:5000]))]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    strings = hostile_strings(args.size)
    patterns = filter_patterns()
    rows = []
    for pname, pattern in sorted(patterns.items()):
        window = WINDOWED.get(pname)
        if window:
            def run(s, p=pattern, w=window):
                for i in range(len(s)):
                    p.match(s, i, i + w)
        else:
            def run(s, p=pattern):
                for _ in p.finditer(s):
                    pass
        worst = max((time_call(lambda: run(s)), sname) for sname, s in strings.items())
        rows.append((pname + (f" (window {window})" if window else ""), worst[0], worst[1]))
    score_rows = []
    for name, fn in scorers():
        worst = max(((time_call(lambda: fn(s)), sname) for sname, s in strings.items()))
        score_rows.append((name, worst[0], worst[1]))
    over = [r for r in rows + score_rows if r[1] >= BOUND_S]
    rows.sort(key=lambda r: -r[1])
    body = [f"{len(patterns)} compiled patterns of filters/*.py and {len(score_rows)} scorers, each over "
            f"{len(strings)} hostile strings of {args.size:,} characters; the slowest string per pattern. "
            f"Bound: {BOUND_S:g} s per string. **{'all within the bound' if not over else f'{len(over)} over the bound'}**.",
            "", "| scorer | slowest string | seconds |", "|---|---|---|"]
    body += [f"| {n} | {s} | {t:.3f} |" for n, t, s in score_rows]
    body += ["", "Ten slowest patterns:", "", "| pattern | slowest string | seconds |", "|---|---|---|"]
    body += [f"| {n} | {s} | {t:.3f} |" for n, t, s in rows[:10]]
    text = "\n".join(body)
    print(text)
    if not args.no_write:
        write_section("hostile_regex", "Regular expressions on hostile input",
                      f"python benchmarks/bench_hostile_regex.py --size {args.size}", text)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
