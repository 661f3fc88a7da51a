"""pipeline.counting: the one path from a filter's count callback to Beam counters and stats."""
import apache_beam as beam
from apache_beam.metrics.metric import MetricsFilter

from pipeline.counting import StageCounts, by_prefix, nest


class _CountWords(beam.DoFn):
    def __init__(self):
        self.counts = StageCounts("toy")

    def process(self, text):
        words = self.counts.scoped("words")
        for w in text.split():
            words("seen")
            if len(w) > 4:
                words("long")
        self.counts("docs")
        self.counts.tally("chars", len(text))
        yield self.counts.flush()


def test_counts_reach_beam_counters_and_the_stats_dict():
    p = beam.Pipeline(runner="FnApiRunner")
    _ = p | beam.Create(["a longer text", "short", ""]) | beam.ParDo(_CountWords())
    result = p.run()
    result.wait_until_finish()
    got = {c.key.metric.name: c.committed for c in result.metrics().query(MetricsFilter().with_namespace("toy"))["counters"]}
    assert got == {"docs": 3, "words.seen": 4, "words.long": 2}        # tallies never become counters


def test_flush_returns_counts_and_tallies_then_starts_again():
    counts = StageCounts("toy")
    counts("rejected")
    counts("rejected.empty_text", 2)
    counts.tally("chars_before.en", 40)
    assert counts.get("rejected") == 1
    flat = counts.flush()
    assert flat == {"rejected": 1, "rejected.empty_text": 2, "chars_before.en": 40}
    assert counts.flush() == {} and counts.get("rejected") == 0
    assert by_prefix(flat, "rejected") == {"empty_text": 2}
    assert nest({"lid.docs": 1, "quality.rule.x": 2, "docs": 3}) == {"lid": {"docs": 1}, "quality": {"rule.x": 2},
                                                                     "docs": 3}
