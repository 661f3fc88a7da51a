"""thresher annotate end to end on make_corpus.py output: every document in is a document out."""
import pyarrow.parquet as pq

from schemas import ANNOTATED, validate_table
from tests.jobs.conftest import load_stats, load_truth


def test_every_document_annotated_once(stages_3000):
    ingested = pq.read_table(stages_3000["ingest"] / "docs", columns=["id"]).column("id").to_pylist()
    annotated = pq.read_table(stages_3000["annotate"] / "docs")
    validate_table(annotated, ANNOTATED)
    assert sorted(annotated.column("id").to_pylist()) == sorted(ingested)
    stats = load_stats(stages_3000["annotate"], "annotate")
    assert stats["balanced"] and stats["docs"] == len(ingested) and stats["errors"] == 0
    assert stats["by_annotator"]["lid"]["docs"] == len(ingested)
    assert stats["ms_per_doc_by_annotator"]["lid"] > 0
    assert {"quality.gopher_repetition", "quality.sentences"} <= set(stats["ms_per_doc_by_signal"])


def test_languages_match_the_labels(stages_3000, corpus_3000):
    truth = load_truth(corpus_3000)
    rows = pq.read_table(stages_3000["annotate"] / "docs",
                         columns=["id", "lang", "lang_score", "lang_mix", "lang_script", "paragraphs", "text"]).to_pylist()
    pages = [r for r in rows if truth[r["id"]]["kind"] == "page"]
    assert len(pages) >= 100
    assert sum(r["lang"] in truth[r["id"]]["langs"] for r in pages) >= 0.95 * len(pages)
    composed = [r for r in rows if truth[r["id"]]["kind"] == "composed"]
    assert len(composed) >= 100
    assert sum(r["lang"] == truth[r["id"]]["langs"][0] for r in composed) >= 0.9 * len(composed)
    zh = [r for r in composed if truth[r["id"]]["langs"] == ["zh"]]
    assert zh and all(r["lang"] == "zh" and r["lang_script"] in ("Hans", "Hant") for r in zh)
    for r in rows:
        assert 0.0 <= r["lang_score"] <= 1.0
        if r["lang"] != "und":
            assert abs(sum(share for _, share in r["lang_mix"]) - 1.0) < 1e-3
        for p in r["paragraphs"]:
            assert 0 <= p["start"] < p["end"] <= len(r["text"])


def test_mixed_documents_list_both_languages(stages_3000, corpus_3000):
    truth = load_truth(corpus_3000)
    rows = pq.read_table(stages_3000["annotate"] / "docs", columns=["id", "lang_mix"]).to_pylist()
    mixed = [r for r in rows if truth[r["id"]]["kind"] == "mixed"]
    both = [r for r in mixed if all(lang in dict(r["lang_mix"]) for lang in truth[r["id"]]["langs"])]
    assert len(mixed) >= 50 and len(both) >= 0.9 * len(mixed)


def test_safety_signals_and_toxicity_model(corpus_small, shared_data, tmp_path, capsys):
    import csv
    import json

    from pipeline.cli import main

    train = tmp_path / "cold_small.csv"
    with open(shared_data / "safety" / "cold_dev.csv", encoding="utf-8-sig") as f, \
            open(train, "w", encoding="utf-8", newline="") as out:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(out, fieldnames=["TEXT", "label"])
        writer.writeheader()
        for i, row in enumerate(reader):
            if i % 8 == 0:
                writer.writerow({"TEXT": row["TEXT"], "label": row["label"]})
    model = tmp_path / "tox.ftz"
    assert main(["train", "toxicity", "--train", str(train), "--output", str(model),
                 "--param", "bucket=100000", "--param", "epoch=5", "--param", "quantize=0", "--param", "lr=0.2"]) == 0
    assert "threshold" in capsys.readouterr().out
    ingest_dir, annotate_dir = tmp_path / "ingest", tmp_path / "annotate"
    assert main(["ingest", "--input", str(corpus_small / "raw"), "--output", str(ingest_dir)]) == 0
    config = tmp_path / "safety.yaml"
    config.write_text(f"annotate:\n  safety:\n    ldnoobw_dirs: ['{shared_data / 'safety' / 'ldnoobw'}']\n"
                      f"    url_dir: '{shared_data / 'safety' / 'ut1'}'\n")
    assert main(["annotate", "--input", str(ingest_dir), "--output", str(annotate_dir), "--config", str(config),
                 "--toxicity-model", str(model)]) == 0
    rows = pq.read_table(annotate_dir / "docs").to_pylist()
    truth = load_truth(corpus_small)
    # the COLD model is scored on Chinese documents and paragraphs only (annotate.safety.toxicity_langs)
    zh = [r for r in rows if r["lang"] == "zh"]
    assert zh and all(0.0 <= r["toxicity_score"] <= 1.0 for r in zh)
    assert all(r["toxicity_score"] is None for r in rows if r["lang"] != "zh")
    assert all((p["toxicity"] is not None) == (p["lang"] == "zh") for r in rows for p in r["paragraphs"])
    planted_pii = {t["id"] for t in truth.values() if t.get("pii")}
    found_pii = {r["id"] for r in rows if r["pii"]}
    assert planted_pii and planted_pii <= found_pii
    for r in rows:
        for span in r["pii"]:
            assert span["type"] in ("email", "phone", "ip", "credit_card", "cn_id")
    planted_bad = {t["id"] for t in truth.values() if t.get("badwords")}
    assert planted_bad and all(r["badword_distinct"] >= 2 for r in rows if r["id"] in planted_bad)
    stats = json.loads((annotate_dir / "stats" / "annotate.json").read_text())
    safety = stats["by_annotator"]["safety"]
    assert stats["balanced"] and safety["toxicity_texts"] == len(zh)
    # every row group (one output file each) ran the compiled kernels of filters/_native
    assert stats["row_groups_by_kernels"] == {"compiled": len(list((annotate_dir / "docs").glob("*.parquet")))}
    assert safety["toxicity_skipped_lang"] == len(rows) - len(zh)


def test_quality_signals_at_three_granularities(stages_3000, corpus_3000):
    from filters.quality import SIGNAL_NAMES

    truth = load_truth(corpus_3000)
    rows = pq.read_table(stages_3000["annotate"] / "docs",
                         columns=["id", "text", "quality_score", "quality_tier", "quality_signals", "sentences",
                                  "paragraphs"]).to_pylist()
    assert set(rows[0]["quality_signals"]) == set(SIGNAL_NAMES)
    good = [r["quality_score"] for r in rows if truth[r["id"]]["kind"] in ("page", "composed")]
    bad = [r["quality_score"] for r in rows if truth[r["id"]]["kind"] in ("spam", "short")]
    # a random good document outranks a random bad one in nearly every pair (ROC AUC)
    wins = sum((g > b) + 0.5 * (g == b) for g in good[:400] for b in bad)
    assert wins / (len(good[:400]) * len(bad)) >= 0.95
    for r in rows:
        assert 0.0 <= r["quality_score"] <= 1.0 and r["quality_tier"] in ("high", "medium", "low")
        assert all(0.0 <= p["score"] <= 1.0 for p in r["paragraphs"])
        for s in r["sentences"]:
            assert 0 <= s["start"] < s["end"] <= len(r["text"]) and 0.0 <= s["score"] <= 1.0


def test_quality_model_trains_and_enters_quality_score(corpus_small, tmp_path, capsys):
    """thresher train quality on page-vs-spam examples; annotate --quality-model uses it."""
    import json

    from pipeline.cli import main

    truth = load_truth(corpus_small)
    ingest_dir = tmp_path / "ingest"
    assert main(["ingest", "--input", str(corpus_small / "raw"), "--output", str(ingest_dir)]) == 0
    capsys.readouterr()
    rows = pq.read_table(ingest_dir / "docs", columns=["id", "text"]).to_pylist()
    good = [r["text"].replace("\n", " ") for r in rows if truth[r["id"]]["kind"] in ("page", "composed")]
    bad = [r["text"].replace("\n", " ") for r in rows if truth[r["id"]]["kind"] in ("spam", "short")]
    (tmp_path / "good.txt").write_text("\n".join(good), encoding="utf-8")
    (tmp_path / "bad.txt").write_text("\n".join(bad), encoding="utf-8")
    model = tmp_path / "quality.ftz"
    assert main(["train", "quality", "--positive", str(tmp_path / "good.txt"), "--negative",
                 str(tmp_path / "bad.txt"), "--output", str(model), "--param", "bucket=100000",
                 "--param", "quantize=0", "--param", "lr=0.2"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["labels"] == ["hq", "lq"] and metrics["dev"]["accuracy"] >= 0.8
    plain, with_model = tmp_path / "plain", tmp_path / "with_model"
    assert main(["annotate", "--input", str(ingest_dir), "--output", str(plain)]) == 0
    assert main(["annotate", "--input", str(ingest_dir), "--output", str(with_model), "--quality-model",
                 str(model)]) == 0
    a = {r["id"]: r for r in pq.read_table(plain / "docs", columns=["id", "quality_signals", "quality_score"]).to_pylist()}
    b = {r["id"]: r for r in pq.read_table(with_model / "docs", columns=["id", "quality_signals", "quality_score"]).to_pylist()}
    assert all(r["quality_signals"]["model_score"] != r["quality_signals"]["model_score"] for r in a.values())  # NaN
    scored = [r["quality_signals"]["model_score"] for r in b.values()]
    assert all(0.0 <= s <= 1.0 for s in scored)
    assert sum(a[i]["quality_score"] != b[i]["quality_score"] for i in a) > 0.9 * len(a)
