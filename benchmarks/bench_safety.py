"""Benchmark of the pure safety filters (word blocklists, PII, URL blocklists) on make_corpus output.

Usage: .venv/bin/python benchmarks/bench_safety.py [--corpus DIR] [--docs 3000] [--seed 1]

Without --corpus it builds one with ../shared/bench/make_corpus.py under benchmarks/out/.
Writes benchmarks/results/safety.md and benchmarks/out/pii_unplanted_<seed>.tsv (unplanted PII
detections, masked, for review).

Truth handling: exact duplicates inherit the planted items of their original; near duplicates of
a document with planted items are left out (their copies of the items may be edited). Bad-word
documents: those with planted ``badwords``; "other documents" are the remaining ones whose first
language has an LDNOOBW list. Each document is scanned with the list of its (gold) language(s),
all 28 lists being loaded. The rule under test is the weighted score
(``WordBlocklist.from_ldnoobw_dir(d, **default_scoring())``, flag ``badword_flagged`` with selection's
defaults: score >= 2, 2.5 when only weak entries are found, the same density past 50k characters); the old
rule (two or more different entries, ``flagged()``) is reported beside it. Planted recall is also
estimated by simulation, as a corpus holds only ~50 planted documents: make_corpus's planting (2-5
entries drawn uniformly from the language's list, inserted at random positions) is repeated ``--sim N``
times per language on the corpus's unplanted documents of that language.
"""
from __future__ import annotations

import argparse
import collections
import datetime
import json
import math
import os
import platform
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from filters.blocklist import DEFAULT_MIN_SCORE, WordBlocklist, badword_flagged, default_scoring  # noqa: E402
from filters.pii import TYPES as PII_TYPES, find_pii, redact  # noqa: E402
from filters.urlfilter import UrlBlocklist  # noqa: E402

SHARED = Path(os.environ.get("THRESHER_SHARED", REPO.parent / "shared")).resolve()


def machine() -> str:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
        ram = f"{mem / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        ram = "unknown"
    return f"nproc={os.cpu_count()}, CPU {cpu}, RAM {ram}, Python {platform.python_version()}"


def build(out: Path, docs: int, seed: int) -> Path:
    from common import build_corpus as make
    return make(docs, seed=seed, out=out)


def load(corpus: Path):
    from common import read_raw_docs
    docs = read_raw_docs(corpus)
    truth = {}
    with open(corpus / "truth.jsonl", encoding="utf-8") as fh:
        for line in fh:
            t = json.loads(line)
            truth[t["id"]] = t
    return docs, truth


def effective(t: dict, truth: dict) -> tuple[dict, bool]:
    """(truth record carrying the planted items for this doc, usable)."""
    if t.get("dup_of"):
        orig = truth[t["dup_of"]]
        if t["kind"] == "exact_dup":
            return orig, True
        return orig, not (orig.get("pii") or orig.get("badwords"))
    return t, True


def mask(value: str) -> str:
    if len(value) <= 4:
        return "*" * len(value)
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def _cold_offensive_automaton():
    """Aho-Corasick automaton of the COLD comments labelled offensive (label 1), as make_corpus uses them."""
    import csv
    import lzma

    import ahocorasick_rs

    comments = set()
    d = SHARED / "data" / "safety"
    for p in (d / "cold_train.csv.xz", d / "cold_dev.csv"):
        opener = lzma.open if p.suffix == ".xz" else open
        with opener(p, "rt", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                t = (row.get("TEXT") or "").strip()
                if row.get("label") == "1" and len(t) >= 15:
                    comments.add(t)
    return ahocorasick_rs.AhoCorasick(sorted(comments))


def _make_corpus():
    """The ../shared/bench/make_corpus.py module, whose planting the simulations repeat."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", SHARED / "bench" / "make_corpus.py")
    mc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mc)
    return mc


def _carriers(docs, truth, planted_key: str) -> dict[str, list[str]]:
    """Texts of single-language composed/page documents without planted ``planted_key`` items, by language."""
    carriers = collections.defaultdict(list)
    for i, t in truth.items():
        if t["kind"] in ("composed", "page") and len(t["langs"]) == 1 and not t.get(planted_key):
            carriers[t["langs"][0]].append(docs[i]["text"])
    return carriers


def decide(r, text: str) -> bool:
    """The shipped document decision (selection's defaults): weighted score, weak-only and length rules."""
    return badword_flagged(r.score, r.max_weight, len(text), DEFAULT_MIN_SCORE)


def simulate_planting(wb: WordBlocklist, ldnoobw: Path, langs: list[str], n: int, carriers: dict,
                      seed: int = 0) -> dict:
    """Share of simulated planted documents flagged, per language: make_corpus's draw (2-5 entries,
    uniform without replacement from the raw list), inserted by make_corpus's own ``insert_phrases``
    (a random token position of a random paragraph: characters for zh/ja/th, words otherwise) into a
    random unplanted document of that language from this corpus (``carriers[lang]``), scanned with
    the language. The carrier's own
    hits count, as they do in make_corpus documents."""
    import random

    mc = _make_corpus()
    out = {}
    for lang in langs:
        if not carriers.get(lang):
            continue
        rng = random.Random(f"{seed}:{lang}")
        words = [w.strip() for w in open(ldnoobw / f"{lang}.txt", encoding="utf-8-sig") if w.strip()]
        ok_new = ok_old = 0
        for _ in range(n):
            text = rng.choice(carriers[lang])
            text = mc.insert_phrases(text, rng.sample(words, min(len(words), rng.randint(2, 5))), rng, lang)
            r = wb.scan(text, lang=lang)
            ok_new += decide(r, text)
            ok_old += r.flagged()
        out[lang] = (ok_new / n, ok_old / n)
    return out


def bench_blocklist(docs, truth, ldnoobw: Path, sim_n: int = 2000) -> dict:
    t0 = time.perf_counter()
    wb = WordBlocklist.from_ldnoobw_dir(ldnoobw, **default_scoring())
    build_s = time.perf_counter() - t0
    langs = set(wb.langs)
    res = {"entries": len(wb), "dropped_short": len(wb.dropped), "build_s": build_s,
           "allow": len(wb.allow_terms()),
           "weighted": sum(1 for t, l, _ in wb.entries() if wb.weight(t, l) != 1.0)}
    cold = _cold_offensive_automaton()
    pos = tp = tp_old = neg = fp = fp_old = fp_any = 0
    fp_cold = fp_old_cold = 0
    fp_by_kind = collections.Counter()
    fp_terms = collections.Counter()
    misses = []
    planted_langs = collections.Counter()
    scan_time, scan_chars = 0.0, 0
    for i, t in truth.items():
        lang = t["langs"][0]
        if lang not in langs:
            continue
        eff, usable = effective(t, truth)
        if not usable:
            continue
        text = docs[i]["text"]
        t1 = time.perf_counter()
        r = wb.scan(text, lang=t["langs"] if len(t["langs"]) > 1 else lang)
        scan_time += time.perf_counter() - t1
        scan_chars += len(text)
        new, old = decide(r, text), r.flagged()
        if eff.get("badwords"):
            pos += 1
            planted_langs[lang] += 1
            tp += new
            tp_old += old
            if not new:
                misses.append((lang, eff["badwords"], r.score))
        else:
            neg += 1
            fp_any += r.hits > 0
            is_cold = (new or old) and bool(cold.find_matches_as_indexes(text))
            fp_old += old
            fp_old_cold += old and is_cold
            if new:
                fp += 1
                fp_cold += is_cold
                fp_by_kind[t["kind"]] += 1
                for term in {text[s["start"]:s["end"]].lower() for s in r.spans}:
                    fp_terms[(lang, term, wb.weight(term, lang))] += 1
    res.update(pos=pos, tp=tp, tp_old=tp_old, neg=neg, fp=fp, fp_old=fp_old, fp_cold=fp_cold,
               fp_old_cold=fp_old_cold, fp_any=fp_any, fp_by_kind=dict(fp_by_kind),
               fp_terms=fp_terms.most_common(15), misses=misses, planted_langs=dict(planted_langs),
               mb_s=scan_chars / 1e6 / max(scan_time, 1e-9))
    # every list applied to every document (no language given)
    fp_all = sum(1 for i, t in truth.items() if t["langs"][0] in langs and effective(t, truth)[1]
                 and not effective(t, truth)[0].get("badwords")
                 and decide(wb.scan(docs[i]["text"]), docs[i]["text"]))
    res["fpr_no_lang"] = fp_all / max(1, neg)
    # simulated planting, per language of the planted documents
    sim_langs = sorted(planted_langs)
    res["sim"] = simulate_planting(wb, ldnoobw, sim_langs, sim_n, _carriers(docs, truth, "badwords"))
    tot = sum(planted_langs[l] for l in res["sim"])
    res["sim_all"] = tuple(math.prod(res["sim"][l][k] ** planted_langs[l] for l in res["sim"]) for k in (0, 1))
    res["sim_overall"] = tuple(sum(planted_langs[l] * res["sim"][l][k] for l in res["sim"]) / max(1, tot)
                               for k in (0, 1))
    # zh_konsheng categories: share of zh non-planted docs with a hit, per category
    kons = SHARED / "data" / "safety" / "zh_konsheng"
    zh_docs = [docs[i]["text"] for i, t in truth.items() if t["langs"][0] == "zh" and effective(t, truth)[1]
               and not effective(t, truth)[0].get("badwords")]
    per_cat = {}
    for cat in sorted({re.sub(r"\d+$", "", p.name.split("__")[0]) for p in kons.glob("*__*.txt")} - {"illegal_urls"}):
        cb = WordBlocklist.from_category_dir(kons, categories=[cat])
        per_cat[cat] = (len(cb), sum(1 for d in zh_docs if cb.scan(d, lang="zh").hits) / max(1, len(zh_docs)))
    res["konsheng_zh_hit_rate"] = per_cat
    res["zh_docs"] = len(zh_docs)
    return res


def bench_pii(docs, truth, seed: int, out_dir: Path) -> dict:
    planted = collections.Counter()
    exact = collections.Counter()
    overlap = collections.Counter()
    detected = collections.Counter()
    matched = collections.Counter()
    unplanted = []
    misses = []
    gone = collections.Counter()  # planted values a later insertion cut in two (make_corpus inserts blindly)
    t_total, chars = 0.0, 0
    for i, t in truth.items():
        eff, usable = effective(t, truth)
        if not usable:
            continue
        text = docs[i]["text"]
        t0 = time.perf_counter()
        spans = find_pii(text)
        t_total += time.perf_counter() - t0
        chars += len(text)
        locs = set()
        for typ, val in eff.get("pii") or []:
            planted[typ] += 1
            k = text.find(val)
            if k < 0:
                misses.append((typ, "value not in text"))
                gone[typ] += 1
                continue
            locs.add((typ, k, k + len(val)))
            if any(s["type"] == typ and s["start"] == k and s["end"] == k + len(val) for s in spans):
                exact[typ] += 1
            if any(s["type"] == typ and s["start"] < k + len(val) and k < s["end"] for s in spans):
                overlap[typ] += 1
            else:
                misses.append((typ, mask(val)))
        for s in spans:
            detected[s["type"]] += 1
            if any(s["type"] == typ and s["start"] < e and b < s["end"] for typ, b, e in locs):
                matched[s["type"]] += 1
            else:
                ctx = text[max(0, s["start"] - 25):s["start"]] + "[" + mask(text[s["start"]:s["end"]]) + "]" + \
                    text[s["end"]:s["end"] + 25]
                unplanted.append((s["type"], t["kind"], ctx.replace("\n", " ").replace("\t", " ")))
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / f"pii_unplanted_{seed}.tsv", "w", encoding="utf-8") as fh:
        for row in unplanted:
            fh.write("\t".join(row) + "\n")
    # redaction round trip on every planted document
    red_ok = red_n = 0
    for i, t in truth.items():
        eff, usable = effective(t, truth)
        if usable and eff.get("pii"):
            text = docs[i]["text"]
            new, recs = redact(text, find_pii(text))
            red_n += 1
            red_ok += all(v not in new for _, v in eff["pii"])
    return {"planted": dict(planted), "exact": dict(exact), "overlap": dict(overlap), "detected": dict(detected),
            "matched": dict(matched), "unplanted": collections.Counter(u[0] for u in unplanted),
            "misses": misses, "mb_s": chars / 1e6 / max(t_total, 1e-9), "docs_s": len(truth) / max(t_total, 1e-9),
            "redacted_docs": red_n, "redacted_ok": red_ok, "gone": dict(gone)}


def simulate_pii(docs, truth, n: int, seed: int = 0) -> dict:
    """Recall (overlap) per language and type when make_corpus's own ``make_pii`` and
    ``insert_phrases`` put one item into ``n`` random unplanted documents per language (one item,
    so no item cuts another): ``{lang: {type: (found, tried)}}``. zh/ja/th insert at any character,
    gluing items to the text around them; other languages insert between words."""
    import random

    mc = _make_corpus()
    carriers = _carriers(docs, truth, "pii")
    out = {}
    for lang in ("zh", "ja", "th", "en", "de", "ru"):
        if not carriers.get(lang):
            continue
        rng = random.Random(f"{seed}:pii:{lang}")
        res = collections.defaultdict(lambda: [0, 0])
        for _ in range(n):
            typ, value = rng.choice(mc.make_pii(rng, lang))
            text = mc.insert_phrases(rng.choice(carriers[lang]), [value], rng, lang)
            k = text.find(value)
            ok = any(p["type"] == typ and p["start"] < k + len(value) and p["end"] > k for p in find_pii(text))
            res[typ][0] += ok
            res[typ][1] += 1
        out[lang] = {typ: tuple(v) for typ, v in sorted(res.items())}
    return out


def bench_urls(docs, truth) -> dict:
    d = SHARED / "data" / "safety"
    t0 = time.perf_counter()
    ub = UrlBlocklist.from_ut1_dir(d / "ut1")
    ub.add_host_file("illegal_urls", next((d / "zh_konsheng").glob("illegal_urls__*.txt")))
    build_s = time.perf_counter() - t0
    urls = [docs[i]["url"] for i in truth]
    t0 = time.perf_counter()
    cats = [ub.category(u) for u in urls]
    el = time.perf_counter() - t0
    # every listed domain, as a sub-domain URL, must be found (parent-domain matching)
    probe = []
    for f in sorted((d / "ut1").glob("*__domains.txt")):
        cat = f.name.split("__")[0]
        with open(f, encoding="utf-8") as fh:
            hosts = [h.strip() for h in fh if h.strip()][:200]
        probe += [(cat, f"https://www.sub.{h}/page?x=1") for h in hosts if not h.replace(".", "").isdigit()]
    ok = 0
    for cat, u in probe:
        m = ub.match(u)
        ok += m is not None and (m.category == cat or m.allowed == (cat in ub.allow))
    return {"rules": len(ub), "build_s": build_s, "urls": len(urls), "urls_s": len(urls) / max(el, 1e-9),
            "blocked": collections.Counter(c for c in cats if c), "probe": len(probe), "probe_ok": ok}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus")
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sim", type=int, default=2000, help="simulated planted documents per language")
    ap.add_argument("--pii-sim", type=int, default=2000, help="simulated PII insertions per language")
    ap.add_argument("--results", default=str(REPO / "benchmarks" / "results" / "safety.md"))
    args = ap.parse_args()
    out_dir = REPO / "benchmarks" / "out"
    corpus = Path(args.corpus) if args.corpus else build(out_dir / f"corpus_{args.docs}_s{args.seed}", args.docs, args.seed)
    docs, truth = load(corpus)
    bl = bench_blocklist(docs, truth, SHARED / "data" / "safety" / "ldnoobw", args.sim)
    pii = bench_pii(docs, truth, args.seed, out_dir)
    pii_sim = simulate_pii(docs, truth, args.pii_sim, args.seed)
    urls = bench_urls(docs, truth)

    cmd = "cd /work/main && .venv/bin/python benchmarks/bench_safety.py " + " ".join(sys.argv[1:])
    L = [f"## Safety filters (issue 6) — corpus {corpus.name}", "",
         f"- Command: `{cmd.strip()}`",
         f"- Machine: {machine()}", f"- Date: {datetime.datetime.now().isoformat(timespec='seconds')}",
         f"- Corpus: {len(docs)} docs from make_corpus.py ({corpus}). Timings are single-process on a shared "
         "2-core machine where other jobs ran at the same time: treat them as noisy lower bounds.", "",
         "### Word blocklists (LDNOOBW, all 28 lists loaded, each doc scanned with its gold language)", "",
         f"Rule: score = sum of the weights of the distinct entries found (variants count once), flag when "
         f"score >= {DEFAULT_MIN_SCORE:g} (2.5 when every entry found is weak, i.e. weighs < 1; past 50,000 "
         "characters the same density: min score x chars / 50,000; `filters.blocklist.badword_flagged`). Weights from `filters/resources/badword_weak_terms.txt` "
         f"({bl['weighted']} (entry, language) pairs not at 1.0: the listed weak entries at 0.5, entries rare in general "
         "text (`rare_word`, wordfreq Zipf < 3) at 1.75, the kept single unspaced characters at 0.25 (rare ones, "
         "`rare_char`, weigh 1.0; one common character, 性, is dropped); every other entry 1.0. "
         f"Allow list: {bl['allow']} ordinary words holding an entry (`filters/resources/badword_allow_terms.txt`: "
         "奶奶, 牛奶, 处女作 ...) are not hits. Old rule: >= 2 different entries.", "",
         "| figure | new rule (weighted score, weak-only and length rules) | old rule (>= 2 entries) | target |", "|---|---|---|---|",
         f"| docs with planted bad words flagged | {bl['tp']}/{bl['pos']} = {bl['tp'] / max(1, bl['pos']):.1%} | "
         f"{bl['tp_old']}/{bl['pos']} = {bl['tp_old'] / max(1, bl['pos']):.1%} | >= 99% |",
         f"| other docs of LDNOOBW languages flagged | {bl['fp']}/{bl['neg']} = {bl['fp'] / max(1, bl['neg']):.2%} | "
         f"{bl['fp_old']}/{bl['neg']} = {bl['fp_old'] / max(1, bl['neg']):.2%} | < 2% |",
         f"| ... of which contain a COLD comment labelled offensive | {bl['fp_cold']} | {bl['fp_old_cold']} | — |",
         f"| other docs flagged, not counting those | {(bl['fp'] - bl['fp_cold']) / max(1, bl['neg']):.2%} | "
         f"{(bl['fp_old'] - bl['fp_old_cold']) / max(1, bl['neg']):.2%} | < 2% |",
         f"| simulated planting, expected recall (weighted by this corpus's planted languages) | "
         f"{bl['sim_overall'][0]:.2%} | {bl['sim_overall'][1]:.2%} | >= 99% |",
         f"| simulated planting, probability that all {bl['pos']} planted docs of a corpus like this are flagged | "
         f"{bl['sim_all'][0]:.2f} | {bl['sim_all'][1]:.2f} | — |",
         f"| other docs with at least one hit (not a flag rule) | {bl['fp_any']}/{bl['neg']} = {bl['fp_any'] / max(1, bl['neg']):.1%} | | — |",
         f"| other docs flagged when no language is given (every list applies) | {bl['fpr_no_lang']:.1%} | | — |",
         f"| entries / single-character unspaced entries dropped | {bl['entries']} / {bl['dropped_short']} | | — |",
         f"| scan speed | {bl['mb_s']:.1f} M chars/s (build {bl['build_s']:.2f} s) | | — |", "",
         f"Simulated planting ({args.sim} documents per language, entries inserted into this corpus's unplanted "
         f"documents of the language; new / old rule): "
         + ", ".join(f"{l} {a:.1%} / {b:.1%}" for l, (a, b) in bl["sim"].items()) + ".", "",
         f"Flagged other docs by kind (new rule): {bl['fp_by_kind']}. Most frequent entries in them (weight): "
         + ", ".join(f"{l}:{w} ({wt:g}) {n}" for (l, w, wt), n in bl["fp_terms"]) + ".", "",
         f"Missed planted docs (new rule; lang, planted, score): {bl['misses'] or 'none'}.", "",
         f"zh_konsheng categories — share of the {bl['zh_docs']} non-planted zh docs with at least one hit "
         "(the entries, then the rate):", "",
         "| category | entries | zh docs hit |", "|---|---|---|"]
    for cat, (n, rate) in bl["konsheng_zh_hit_rate"].items():
        L.append(f"| {cat} | {n} | {rate:.1%} |")
    L += ["", "### PII (per type, against planted items)", "",
          "| type | planted | recall (exact span) | recall (overlap) | cut by a later insertion | recall (overlap) of the rest "
          "| detections | matched planted | unplanted | precision lower bound |",
          "|---|---|---|---|---|---|---|---|---|---|"]
    for typ in PII_TYPES:
        p = pii["planted"].get(typ, 0)
        det = pii["detected"].get(typ, 0)
        g = pii["gone"].get(typ, 0)
        L.append(f"| {typ} | {p} | {pii['exact'].get(typ, 0) / max(1, p):.3f} | {pii['overlap'].get(typ, 0) / max(1, p):.3f} | "
                 f"{g} | {pii['overlap'].get(typ, 0) / max(1, p - g):.3f} | {det} | {pii['matched'].get(typ, 0)} | {pii['unplanted'].get(typ, 0)} | "
                 f"{pii['matched'].get(typ, 0) / max(1, det):.3f} |")
    L += ["", f"Simulated insertion (make_corpus's `make_pii` + `insert_phrases`, one item into each of "
          f"{args.pii_sim} unplanted documents per language; recall by overlap, found/tried):", "",
          "| language | " + " | ".join(PII_TYPES) + " |", "|---|" + "---|" * len(PII_TYPES)]
    for lang, res in pii_sim.items():
        L.append(f"| {lang} | " + " | ".join(
            f"{res[t][0] / max(1, res[t][1]):.3f} ({res[t][0]}/{res[t][1]})" if t in res else "—" for t in PII_TYPES) + " |")
    L += ["", f"Misses (masked): {pii['misses'] or 'none'}.", "",
          f"Speed: {pii['mb_s']:.1f} M chars/s, {pii['docs_s']:.0f} docs/s. Redaction removed every planted value "
          f"in {pii['redacted_ok']}/{pii['redacted_docs']} planted documents.", "",
          f"Precision method: detections that do not overlap a planted item are written (masked, with context) to "
          f"`benchmarks/out/pii_unplanted_{args.seed}.tsv` and reviewed by hand; the corpus's real pages contain real "
          "addresses, phone numbers and IPs. The 'precision lower bound' column counts every unplanted detection "
          "as false; see the review note below for the judged precision.", "",
          "### URL blocklists (UT1 + zh_konsheng illegal_urls as a domains category)", "",
          f"- rules: {urls['rules']} (built in {urls['build_s']:.2f} s); corpus URLs checked: {urls['urls']} at "
          f"{urls['urls_s']:.0f} URLs/s; blocked: {dict(urls['blocked']) or 'none'}",
          f"- parent-domain probe (`https://www.sub.<listed domain>/page`, first 200 of each domains file): "
          f"{urls['probe_ok']}/{urls['probe']} matched their category (allow-list ones as allowed)", ""]
    text = "\n".join(L) + "\n"
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    marker = f"<!-- bench_safety seed={args.seed} -->"
    old = Path(args.results).read_text(encoding="utf-8") if Path(args.results).exists() else "# Safety filter benchmarks\n"
    parts = old.split("<!-- bench_safety ")
    keep = [parts[0]] + ["<!-- bench_safety " + p for p in parts[1:] if not p.startswith(f"seed={args.seed} -->")]
    Path(args.results).write_text("".join(keep).rstrip("\n") + "\n\n" + marker + "\n" + text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
