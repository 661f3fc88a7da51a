"""Each stage's core PTransform on a few inline rows (TestPipeline + assert_that), and annotate's
per-document retry when an annotator fails on a batch."""
from __future__ import annotations

import json

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline.annotate import AnnotateRowGroup, AnnotateRowGroups
from pipeline.beam_io import write_parquet
from pipeline.config import Config
from pipeline.dedup import DedupPartitions, FindDuplicates
from pipeline.ingest import ReadInputs
from pipeline.manifest import SelectDocs
from pipeline.runner import list_row_groups, match_inputs
from schemas import ANNOTATED, CLUSTERS, DOCUMENTS

EN = ("The river runs past the old mill where the farmers bring their grain every autumn. "
      "Children walk along the bank after school and count the boats that pass under the bridge. ")
DE = ("Der Fluss fliesst an der alten Muehle vorbei, wo die Bauern jeden Herbst ihr Getreide bringen. "
      "Die Kinder gehen nach der Schule am Ufer entlang und zaehlen die Boote unter der Bruecke. ")


def _doc(doc_id: str, text: str, position: int = 0) -> dict:
    return {"id": doc_id, "text": text, "source": "web", "source_file": "inline.jsonl", "position": position,
            "format": "jsonl", "notes": []}


def _docs_dir(tmp_path, rows, schema=DOCUMENTS, table="docs"):
    write_parquet(str(tmp_path / table / "part-00000-of-00001.parquet"), rows, schema)
    return str(tmp_path)


def _pipeline():
    return test_pipeline.TestPipeline(runner="FnApiRunner")


def test_read_inputs_emits_docs_rejected_errors_and_per_file_stats(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_text(json.dumps({"id": "one", "text": EN}) + "\n" + "{not json\n"
                                 + json.dumps({"id": "two", "text": "   "}) + "\n"
                                 + json.dumps({"id": "three", "text": DE}) + "\n")
    with _pipeline() as p:
        out = (p | beam.Create(match_inputs([str(raw)])) | ReadInputs(Config()))
        assert_that(out.docs | "DocIds" >> beam.Map(lambda r: (r["id"].rsplit("/", 1)[-1], r["position"])),
                    equal_to([("one", 0), ("three", 3)]), label="Docs")
        assert_that(out.rejected | "RejectedReasons" >> beam.Map(lambda r: (r["reason"], r["position"])),
                    equal_to([("empty_text", 2)]), label="Rejected")
        assert_that(out.errors | "ErrorReasons" >> beam.Map(lambda r: (r["reason"], r["position"])),
                    equal_to([("invalid_json", 1)]), label="Errors")
        assert_that(out.stats | "Totals" >> beam.Map(lambda s: {k: s[k] for k in ("records", "docs", "rejected",
                                                                                   "errors", "files")}),
                    equal_to([{"records": 4, "docs": 2, "rejected": 1, "errors": 1, "files": 1}]), label="Stats")


def test_annotate_row_groups_writes_every_document_with_signals(tmp_path):
    ingest = _docs_dir(tmp_path / "ingest", [_doc("en", EN * 3), _doc("de", DE * 3, 1), _doc("tiny", "ok", 2)])
    out = tmp_path / "annotate"
    with _pipeline() as p:
        result = (p | beam.Create(list_row_groups(ingest))
                  | AnnotateRowGroups(Config(), str(out / "docs"), {}))
        assert_that(result.stats | beam.Map(lambda s: (s["records"], s["docs"])), equal_to([(3, 3)]), label="Stats")
        assert_that(result.errors, equal_to([]), label="NoErrors")
    rows = {r["id"]: r for r in pq.read_table(str(out / "docs")).to_pylist()}
    assert set(rows) == {"en", "de", "tiny"}
    assert rows["en"]["lang"] == "en" and rows["de"]["lang"] == "de"
    assert rows["en"]["quality_score"] > rows["tiny"]["quality_score"]
    assert rows["tiny"]["quality_failed_rules"]          # two characters fail the length rules


class _FailsOn:
    """An annotator that fails on any batch holding ``bad_id`` and marks the others."""
    name = "flaky"

    def __init__(self, bad_id):
        self.bad_id = bad_id

    def annotate(self, rows, count):
        if any(r["id"] == self.bad_id for r in rows):
            raise RuntimeError(f"cannot score {self.bad_id}")
        for r in rows:
            r["lang"] = "xx"
            count("scored", 1)


def test_annotator_failure_retries_each_document_and_writes_an_error_row(tmp_path):
    ingest = _docs_dir(tmp_path / "ingest", [_doc("a", EN), _doc("b", DE, 1), _doc("c", EN, 2)])
    item = list_row_groups(ingest)[0]
    fn = AnnotateRowGroup(Config(), str(tmp_path / "out"), {})
    fn.annotators = [_FailsOn("b")]
    outputs = list(fn.process(item))
    errors = [o.value for o in outputs if isinstance(o, beam.pvalue.TaggedOutput)]
    stats = [o for o in outputs if not isinstance(o, beam.pvalue.TaggedOutput)]
    assert [(e["reason"], e["position"]) for e in errors] == [("annotator_failed:flaky", 1)]
    assert errors[0]["detail"].startswith("b: RuntimeError: cannot score b")
    assert stats[0]["records"] == stats[0]["docs"] == 3
    assert stats[0]["by_annotator"]["flaky"] == {"scored": 2, "failed": 1}
    # the stage stats count the error row (the document itself is kept)
    from pipeline.annotate import finalize_annotate_stats
    final = finalize_annotate_stats(dict(stats[0]))
    assert final["errors"] == 1 and final["errors_by_reason"] == {"annotator_failed:flaky": 1} and final["balanced"]
    rows = {r["id"]: r for r in pq.read_table(str(tmp_path / "out" / item.out_name)).to_pylist()}
    assert {k: (r["lang"], r["annotate_notes"]) for k, r in rows.items()} == {
        "a": ("xx", []), "b": (None, ["failed:flaky"]), "c": ("xx", [])}


def test_find_duplicates_clusters_exact_and_near_copies(tmp_path):
    base = " ".join(f"{w}{i % 7}" for i, w in enumerate((EN * 4).split()))
    near = base.replace("river0", "stream0", 1)
    rows = [_doc("orig", base), _doc("copy", base, 1), _doc("near", near, 2), _doc("other", DE * 4, 3)]
    annotated = _docs_dir(tmp_path / "annotate", rows)
    items = list_row_groups(annotated)
    config = Config()
    parts = DedupPartitions(len(rows), 1, config.dedup.minhash.bands, config.dedup.minhash.num_perm)
    with _pipeline() as p:
        found = (p | beam.Create(items)
                 | FindDuplicates(config, parts, str(tmp_path / "sig"), str(tmp_path / "rep"), {}))
        clusters = found["clusters"] | beam.FlatMap(lambda batch: [(r["id"], r["cluster_size"], r["match"])
                                                                   for r in batch])
        assert_that(clusters, equal_to([("orig", 3, "exact"), ("copy", 3, "exact"), ("near", 3, "near"),
                                        ("other", 1, "none")]))


def test_select_docs_keeps_rejects_and_names_the_reason(tmp_path):
    good = {**_doc("good", EN * 3), "lang": "en", "lang_score": 0.98, "quality_score": 0.9, "quality_tier": "high"}
    low = {**_doc("low", EN * 3, 1), "lang": "en", "lang_score": 0.98, "quality_score": 0.01, "quality_tier": "low"}
    dup = {**_doc("dup", EN * 3, 2), "lang": "en", "lang_score": 0.98, "quality_score": 0.9, "quality_tier": "high"}
    annotated = _docs_dir(tmp_path / "annotate", [good, low, dup], ANNOTATED)
    cluster = {"cluster_id": "good", "cluster_size": 2, "match": "exact", "representative_id": "good"}
    dedup = _docs_dir(tmp_path / "dedup", [{"id": "good", "is_representative": True, **cluster},
                                           {"id": "dup", "is_representative": False, **cluster}],
                      CLUSTERS, table="clusters")
    with _pipeline() as p:
        selected = ({"docs": p | "Docs" >> beam.Create(list(enumerate(list_row_groups(annotated)))),
                     "clusters": p | "Clusters" >> beam.Create(list_row_groups(f"{dedup}/clusters/*.parquet")),
                     "repeats": p | "Repeats" >> beam.Create([])}
                    | SelectDocs(Config(), str(tmp_path / "tmp"), {}, 1))
        assert_that(selected["rejected"] | beam.FlatMap(lambda rows: [(r["id"], r["reason"]) for r in rows]),
                    equal_to([("low", "quality_low"), ("dup", "duplicate")]), label="Rejected")
        assert_that(selected["spills"] | beam.Map(lambda kv: (kv[0], kv[1][1]["docs"])),
                    equal_to([("web/en/high", 1)]), label="Kept")
        assert_that(selected["errors"], equal_to([]), label="NoErrors")
