"""Derive filters/resources/badword_weak_terms.txt: per-language weights of LDNOOBW entries that are
weak evidence of offensive content because ordinary text uses them.

Usage: .venv/bin/python benchmarks/derive_weak_terms.py [--out PATH] [--zipf 4.2] [--zipf-langs zh] [--rare-char-zipf 3.5]
       [--rare-zipf 3.0] [--allow-out PATH]

Criterion (every number below is computed here, nothing is hand-picked):

1. clean_df — the entry is found (same matcher as filters.blocklist, scanned with the entry's
   language, single characters included) in at least one unit of clean reference text of that
   language: the lingua LID sentences, word pairs and single words (Leipzig web/news text), the
   c4-dataset-script Chinese Common Crawl lines (zh) and the Dolma / cc_net Common Crawl documents
   (en), all under ../shared/data. Weight 0.5. The benchmark's web pages and the COLD comments are
   not used. For a single unspaced character the rule is different (see 3).
2. general_freq — for the languages in --zipf-langs (default zh, whose clean reference above is the
   smallest: 371 sentences), an entry that wordfreq 3.1.1 tokenises as one word and whose Zipf
   frequency in general text is >= --zipf (4.2 = 16 per million words: 处女, 妓女, 婊子, 强奸 ...).
   Weight 0.5. Applied to all languages it also made common profanity (shit, merde...) weak and cost
   planted recall on the seed-1 benchmark corpus, hence zh only. 4.2 (was 4.4) was chosen with the
   rare_word rule below on six seeds: the other-document flag rate falls from 1.64% to 1.56% on
   average (max 1.93% -> 1.77%) for a 0.01 lower chance that all planted documents are flagged.
3. short_common — a single unspaced character found in >= 1% of the clean reference units of its
   language: weight 0 (dropped: it fires inside ordinary words). Other single characters are kept
   at the scorer's ``short_weight`` (0.25) and are not listed, except under 4.
4. rare_char — for the languages in --zipf-langs, a single unspaced character whose Zipf frequency
   as a word in general text is below --rare-char-zipf (3.5, ~3 per million words) weighs 1.0: such
   characters (屄, 肏, 閪, the Cantonese profanity characters ...) are rarely anything but the
   offensive word. Chosen on three make_corpus seeds: at 3.5 the other-document flag rate is the
   same as with every character at 0.25 and the simulated planted recall of zh rises from 95.7% to
   97.2%; at 3.7 the flag rate rises by 0.2-0.35 points (屌, 淫 and 鳩 become strong).

5. rare_word — an entry that would weigh 1.0 and whose wordfreq Zipf frequency in general text of its
   language is below --rare-zipf (3.0, one per million words) weighs 1.75: it is specific evidence, so
   together with any other hit (even a 0.25 character) it flags a document, while alone it does not.
   ja and ko are left out (wordfreq needs MeCab dictionaries for them). Chosen on six make_corpus
   seeds (1, 2, 3, 7, 11, 23) by simulating make_corpus's planting 1,000 times per language and seed:
   the probability that every planted document of a corpus is flagged rises from 0.60 to 0.73, the
   other-document flag rate moves from 1.58% to 1.64% on average (max 1.93%); a cut at Zipf 3.5
   flags 2.8% of other documents.

It also writes the allow list filters/resources/badword_allow_terms.txt (``derive_allow``): ordinary
Chinese words that hold a zh entry (奶奶, 牛奶, 处女作, 老祖宗, 强奸案 ...), from jieba's dictionary
(frequency >= 10) and wordfreq's zh word list (Zipf >= 3), minus every LDNOOBW entry and every
zh_konsheng entry, and minus words that hold only entries weighing 0 (性). An entry inside such a
word is not a hit. On the six seeds this removes a sixth of the other-document flags (1.80% ->
1.58% on average) for 0.1-0.2 points of simulated zh recall.

wordfreq and jieba are needed only to re-run this script (`pip install -e .[derive]`), never at run time.
"""
from __future__ import annotations

import argparse
import ast
import collections
import functools
import gzip
import json
import lzma
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from filters.blocklist import DEFAULT_ALLOW_PATH, DEFAULT_WEIGHTS_PATH, WordBlocklist, is_unspaced_char, normalize_term  # noqa: E402

SHARED = Path(os.environ.get("THRESHER_SHARED", REPO.parent / "shared")).resolve()
WEAK = 0.5
SHORT_COMMON_SHARE = 0.01
RARE_ZIPF = 3.0
RARE_WEIGHT = 1.75
WORDFREQ_CODE = {"no": "nb"}
NO_RARE_LANGS = {"ja", "ko"}   # wordfreq needs MeCab dictionaries for these; not in the derive extra
ALLOW_MIN_JIEBA_FREQ = 10
ALLOW_MIN_ZIPF = 3.0


def reference_units(data: Path, langs: set[str]) -> dict[str, list[str]]:
    """Clean reference text units per language (see the module docstring)."""
    units: dict[str, list[str]] = collections.defaultdict(list)
    for name in ("lingua_sentences_public.tsv.xz", "lingua_word-pairs_public.tsv.xz",
                 "lingua_single-words_public.tsv.xz"):
        with lzma.open(data / "lid" / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                lang, _, text = line.rstrip("\n").partition("\t")
                if lang in langs and text.strip():
                    units[lang].append(text)
    with open(data / "web_zh" / "c4zh_duplicated_lines_samples.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                units["zh"].append(ast.literal_eval(line)[1])
    for name in ("dolma_ccnet_cc_en_head-0091.jsonl.gz", "dolma_ccnet_cc_en_head-0174.jsonl.gz",
                 "dolma_documents_000.json.gz"):
        with gzip.open(data / "cc_formats" / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                units["en"].append(json.loads(line)["text"])
    return units


def is_short(term: str) -> bool:
    return len(term) == 1 and is_unspaced_char(term)


@functools.lru_cache(maxsize=None)
def _wordfreq_langs() -> frozenset[str]:
    from wordfreq import available_languages
    return frozenset(available_languages("large")) | frozenset(available_languages("small"))


def general_zipf(term: str, lang: str) -> float | None:
    """wordfreq Zipf frequency of ``term`` in general text of ``lang`` (None: language not covered)."""
    from wordfreq import zipf_frequency
    code = WORDFREQ_CODE.get(lang, lang)
    if lang in NO_RARE_LANGS or code not in _wordfreq_langs():
        return None
    return zipf_frequency(term, code)


def derive(data: Path, zipf_min: float, zipf_langs: set[str], rare_char_zipf: float = 3.5,
           rare_zipf: float = RARE_ZIPF) -> tuple[list[tuple[str, str, float, str]], dict]:
    wb = WordBlocklist.from_ldnoobw_dir(data / "safety" / "ldnoobw", min_unspaced_len=1)
    langs = set(wb.langs)
    units = reference_units(data, langs)
    df: dict[tuple[str, str], int] = collections.Counter()
    for lang, texts in units.items():
        for text in texts:
            r = wb.scan(text, lang=lang)
            for t in {normalize_term(text[s["start"]:s["end"]]) for s in r.spans}:
                df[(lang, t)] += 1
    rows: dict[tuple[str, str], tuple[float, str]] = {}
    for (lang, term), k in sorted(df.items()):
        if is_short(term):
            share = k / len(units[lang])
            if share >= SHORT_COMMON_SHARE:
                rows[(lang, term)] = (0.0, f"short_common df={k}/{len(units[lang])}")
        else:
            rows[(lang, term)] = (WEAK, f"clean_df df={k}/{len(units[lang])}")
    if zipf_langs:
        from wordfreq import tokenize, zipf_frequency
        for term, lang, _cat in wb.entries():
            if lang not in zipf_langs or is_short(term) or (lang, term) in rows:
                continue
            if tokenize(term, lang) == [term]:
                z = zipf_frequency(term, lang)
                if z >= zipf_min:
                    rows[(lang, term)] = (WEAK, f"general_freq zipf={z:.2f}")
        for term, lang, _cat in wb.entries():
            if lang in zipf_langs and is_short(term) and (lang, term) not in rows:
                z = zipf_frequency(term, lang)
                if z < rare_char_zipf:
                    rows[(lang, term)] = (1.0, f"rare_char zipf={z:.2f}")
    if rare_zipf > 0:
        for term, lang, _cat in sorted(wb.entries()):
            w = rows.get((lang, term), (0.25 if is_short(term) else 1.0, ""))[0]
            if w != 1.0:
                continue
            z = general_zipf(term, lang)
            if z is not None and z < rare_zipf:
                rows[(lang, term)] = (RARE_WEIGHT, f"rare_word zipf={z:.2f}")
    out = sorted((lang, term, w, note) for (lang, term), (w, note) in rows.items())
    stats = {"units": {l: len(v) for l, v in sorted(units.items())}, "entries": len(wb)}
    return out, stats


def derive_allow(data: Path, dropped: set[str] = frozenset(), min_jieba_freq: int = ALLOW_MIN_JIEBA_FREQ,
                 min_zipf: float = ALLOW_MIN_ZIPF) -> list[tuple[str, str, str]]:
    """Ordinary Chinese words that contain a zh LDNOOBW entry: ``[(lang, word, note)]``.

    Candidates: jieba 0.42.1's dictionary words with frequency >= ``min_jieba_freq`` and wordfreq's
    zh words with Zipf >= ``min_zipf``. Kept when the word holds a zh entry, is not itself an entry
    of any LDNOOBW list and is in no zh_konsheng list (those lists name offensive compounds such as
    真他妈, 手淫, 色情网站). Entries in ``dropped`` (weight 0, such as 性) are never hits, so words
    holding only them are left out."""
    import jieba
    from wordfreq import iter_wordlist, zipf_frequency
    ldnoobw = WordBlocklist.from_ldnoobw_dir(data / "safety" / "ldnoobw", min_unspaced_len=1).entries()
    konsheng = WordBlocklist.from_category_dir(data / "safety" / "zh_konsheng", exclude=(), min_unspaced_len=1)
    every = {t for t, _, _ in ldnoobw} | {t for t, _, _ in konsheng.entries()}
    zh = sorted({t for t, lang, _ in ldnoobw if lang == "zh"} - set(dropped))
    cand: dict[str, str] = {}
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as fh:
        for line in fh:
            word, freq, _tag = line.split(" ")
            if int(freq) >= min_jieba_freq:
                cand.setdefault(normalize_term(word), f"jieba_freq={freq}")
    for word in iter_wordlist("zh", "large"):
        z = zipf_frequency(word, "zh")
        if z < min_zipf:
            break
        cand.setdefault(normalize_term(word), f"zipf={z:.2f}")
    out = []
    for word, note in sorted(cand.items()):
        if word in every:
            continue
        inside = [e for e in zh if e != word and e in word]
        if inside:
            out.append(("zh", word, f"holds {','.join(inside)} {note}"))
    return out


def write_allow(rows, path: Path) -> None:
    header = f"""# Ordinary words that contain a word-list entry (derived, do not edit: re-run
# `.venv/bin/python benchmarks/derive_weak_terms.py`). Format: lang<TAB>word<TAB>why.
# An entry found inside one of these words is not a hit (filters.blocklist, allow_terms): 处女作 is
# not 处女, 奶奶 is not 奶. Criterion: a jieba 0.42.1 dictionary word with frequency >= {ALLOW_MIN_JIEBA_FREQ} or a
# wordfreq 3.1.1 zh word with Zipf >= {ALLOW_MIN_ZIPF} that holds a zh LDNOOBW entry weighing more than 0,
# is no LDNOOBW entry itself and is in no zh_konsheng list.
"""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header)
        for lang, word, note in rows:
            fh.write(f"{lang}\t{word}\t{note}\n")


def write(rows, stats, path: Path, zipf_min: float, zipf_langs: set[str], rare_char_zipf: float,
          rare_zipf: float = RARE_ZIPF) -> None:
    header = f"""# Weights of LDNOOBW entries other than 1.0: weak evidence (0.5, 0.25, 0) or rare, specific
# entries (1.75) (derived, do not edit: re-run `.venv/bin/python benchmarks/derive_weak_terms.py --zipf {zipf_min} --zipf-langs {','.join(sorted(zipf_langs))} --rare-char-zipf {rare_char_zipf} --rare-zipf {rare_zipf}`).
# Format: lang<TAB>term<TAB>weight<TAB>why. Unlisted entries weigh 1.0, unlisted single unspaced
# characters the scorer's short_weight (0.25). Document score = sum of the weights of the distinct
# entries found; flag = score >= 2.0 (filters.blocklist.BlocklistResult.flagged_by_score).
# Criterion: clean_df = found in >= 1 unit of clean reference text of the language (lingua LID
# sentences/word pairs/single words, c4zh Common Crawl lines, Dolma/cc_net Common Crawl docs) -> 0.5;
# general_freq = for {','.join(sorted(zipf_langs)) or 'no language'}, one wordfreq 3.1.1 token with Zipf frequency >= {zipf_min} -> 0.5;
# short_common = single unspaced character found in >= {SHORT_COMMON_SHARE:.0%} of the reference units -> 0 (dropped);
# rare_char = for {','.join(sorted(zipf_langs)) or 'no language'}, single unspaced character with Zipf frequency < {rare_char_zipf} -> 1.0;
# rare_word = an entry that would weigh 1.0 whose wordfreq Zipf frequency in general text of its language
# is < {rare_zipf} (languages wordfreq covers, except {','.join(sorted(NO_RARE_LANGS))}) -> {RARE_WEIGHT}: specific evidence, so it flags a
# document together with any other hit (even a 0.25 character) but not alone.
# Reference units per language: {stats['units']}
"""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header)
        for lang, term, w, note in rows:
            fh.write(f"{lang}\t{term}\t{w:g}\t{note}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(DEFAULT_WEIGHTS_PATH))
    ap.add_argument("--zipf", type=float, default=4.2)
    ap.add_argument("--zipf-langs", default="zh", help="comma-separated; empty: no general_freq rule")
    ap.add_argument("--rare-char-zipf", type=float, default=3.5)
    ap.add_argument("--rare-zipf", type=float, default=RARE_ZIPF, help="0: no rare_word rows")
    ap.add_argument("--allow-out", default=str(DEFAULT_ALLOW_PATH))
    args = ap.parse_args()
    zl = {x for x in args.zipf_langs.split(",") if x}
    rows, stats = derive(SHARED / "data", args.zipf, zl, args.rare_char_zipf, args.rare_zipf)
    write(rows, stats, Path(args.out), args.zipf, zl, args.rare_char_zipf, args.rare_zipf)
    by = collections.Counter(note.split()[0] for *_, note in rows)
    print(f"{len(rows)} rows -> {args.out}: {dict(by)}")
    allow = derive_allow(SHARED / "data", {term for lang, term, w, _ in rows if lang == "zh" and w == 0})
    write_allow(allow, Path(args.allow_out))
    print(f"{len(allow)} allow-listed words -> {args.allow_out}")


if __name__ == "__main__":
    main()
