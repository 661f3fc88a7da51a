"""The dedup and manifest graphs with embeddings (semantic duplicates, topics, topic policies):
CamelCase, unique, stable step labels, as for the default graphs (tests/pipeline/test_runner.py)."""
import apache_beam as beam

from pipeline.config import config_from_dict
from pipeline.dedup import build_dedup
from pipeline.manifest import build_manifest
from tests.pipeline.test_runner import CAMEL, _ITEMS, our_labels


def _labels(build, cfg):
    p = beam.Pipeline()
    build(p, cfg)
    return our_labels(p)


def test_embedding_steps_have_stable_camel_case_labels():
    cfg = config_from_dict({"manifest": {"mixture": {"topic_cap": 0.3}, "prune_topic_above": 0.5,
                                         "prune_topic_frac": 0.1}})
    dedup = lambda p, c: build_dedup(p, _ITEMS, "/run/dedup", c, embedded=True)  # noqa: E731
    manifest = lambda p, c: build_manifest(p, _ITEMS, {"clusters": _ITEMS[:1], "repeats": _ITEMS[1:],  # noqa: E731
                                                       "topics": _ITEMS[:1]}, "/run/manifest", c, {})
    for build in (dedup, manifest):
        labels = _labels(build, cfg)
        assert not [x for x in labels if not all(CAMEL.match(part) for part in x.split("/"))]
        assert len(set(labels)) == len(labels)
        assert _labels(build, config_from_dict({"dedup": {"min_repeat_docs": 3}, "manifest": {
            "mixture": {"topic_cap": 0.2}, "prune_topic_above": 0.4, "prune_topic_frac": 0.2}})) == labels
    labels = _labels(dedup, cfg)
    assert {f"FindDuplicates/{x}" for x in ("SemanticBucketEdges", "SemanticComponents", "SemanticClusters",
                                            "Topics")} <= set(labels)
    assert "FindDuplicates/Topics" not in _labels(lambda p, c: build_dedup(p, _ITEMS, "/run/dedup", c), cfg)
    assert "SelectDocs/TopicInfo" in _labels(manifest, cfg)
