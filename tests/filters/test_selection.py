import pytest

from filters.selection import SelectionConfig, apply_edits, select

TEXT = ("Good first sentence about rivers. Buy now cheap!!!\n"
        "Accept cookies | Privacy | Terms\n"
        "Write to me at ann@example.com for the data.")


L1, L2 = TEXT.index("\nAccept"), TEXT.index("\nWrite")
S2 = TEXT.index("Buy now")


def doc(**over):
    d = {"text": TEXT, "lang": "en", "lang_score": 0.95, "quality_score": 0.8, "url_category": None,
         "badword_distinct": 0, "badword_ratio": 0.0, "badword_categories": [], "toxicity_score": None,
         "pii": [{"type": "email", "start": TEXT.index("ann@"), "end": TEXT.index(" for the")}],
         "paragraphs": [{"start": 0, "end": L1, "score": 0.9, "toxicity": None},
                        {"start": L1 + 1, "end": L2, "score": 0.1, "toxicity": None},
                        {"start": L2 + 1, "end": len(TEXT), "score": 0.8, "toxicity": None}],
         "sentences": [{"start": 0, "end": S2 - 1, "score": 0.9}, {"start": S2, "end": L1, "score": 0.05},
                       {"start": L1 + 1, "end": L2, "score": 0.3}, {"start": L2 + 1, "end": len(TEXT), "score": 0.7}]}
    d.update(over)
    return d


def test_cuts_and_redaction_in_one_pass():
    decision = select(doc(), None, None, SelectionConfig(min_chars=10))
    assert decision.keep
    assert decision.text == "Good first sentence about rivers.\n\nWrite to me at <EMAIL> for the data."
    assert [c["reason"] for c in decision.cuts] == ["low_quality_sentence", "low_quality_paragraph"]
    assert [r["type"] for r in decision.redactions] == ["email"]


@pytest.mark.parametrize("override,cfg,reason", [
    ({"lang": "und"}, {}, "lang_und"),
    ({"lang_score": 0.3}, {}, "lang_score_low"),
    ({"lang": "de"}, {"languages": ("en",)}, "lang_not_selected"),
    ({"url_category": "gambling"}, {}, "url_blocked"),
    ({"badword_distinct": 3, "badword_ratio": 0.02}, {}, "badwords"),
    ({"toxicity_score": 0.95}, {"toxicity_policy": "drop"}, "toxic"),
    ({"quality_score": 0.1}, {}, "quality_low"),
    ({}, {"pii_policy": "drop"}, "pii"),
    ({}, {"min_chars": 500}, "too_short_after_cuts"),
])
def test_each_rule_names_its_reason(override, cfg, reason):
    decision = select(doc(**override), None, None, SelectionConfig(**{"min_chars": 10, **cfg}))
    assert not decision.keep and decision.reason == reason


def test_per_language_thresholds_override_defaults():
    cfg = SelectionConfig(min_chars=10, lang_min_quality={"en": 0.9})
    assert select(doc(), None, None, cfg).reason == "quality_low"
    assert select(doc(lang="de"), None, None, cfg).keep


def test_dedup_policies():
    dup = {"cluster_id": "a", "cluster_size": 3, "is_representative": False, "match": "near"}
    assert select(doc(), dup, None, SelectionConfig(min_chars=10)).reason == "duplicate"
    down = select(doc(), dup, None, SelectionConfig(min_chars=10, dedup_policy="downweight", downweight_factor=0.2))
    assert down.keep and down.weight_factor == 0.2 and down.actions[0] == "downweight:duplicate"
    kept = select(doc(), dup, None, SelectionConfig(min_chars=10, dedup_policy="keep"))
    assert kept.keep and kept.weight_factor == 1.0 and "downweight:duplicate" not in kept.actions
    representative = dict(dup, is_representative=True)
    assert select(doc(), representative, None, SelectionConfig(min_chars=10, dedup_policy="downweight")).weight_factor == 1.0


def test_selection_config_hash_sees_every_field():
    base = SelectionConfig()
    assert hash(base) == hash(SelectionConfig())
    assert hash(base) != hash(SelectionConfig(badword_policy="keep"))
    assert hash(base) != hash(SelectionConfig(lang_min_quality={"en": 0.5}))


def test_downweight_policies_multiply_the_weight():
    cfg = SelectionConfig(min_chars=10, badword_policy="downweight", downweight_factor=0.5)
    decision = select(doc(badword_distinct=2, badword_ratio=0.1, toxicity_score=0.9), None, None, cfg)
    assert decision.keep and decision.weight_factor == 0.25
    assert decision.actions[:2] == ["downweight:badwords", "downweight:toxic"]


def test_repeated_units_are_cut():
    repeats = {"paragraphs": [{"start": L1 + 1, "end": L2, "count": 40}], "sentences": []}
    cfg = SelectionConfig(min_chars=10, cut_paragraph_below=0.0, cut_sentence_below=0.0)
    decision = select(doc(), None, repeats, cfg)
    assert decision.cuts == [{"start": L1 + 1, "end": L2, "reason": "repeated"}]
    assert "cookies" not in decision.text


def test_apply_edits_without_cuts_keeps_layout():
    assert apply_edits("a  b\n\n\n\nc", [], []) == "a  b\n\n\n\nc"


def test_invalid_policy_is_an_error():
    with pytest.raises(ValueError, match="pii_policy"):
        SelectionConfig(pii_policy="hide")


def test_badword_score_decides_when_present():
    """Weighted score: two weak entries (2 x 0.5) stay; score 2 drops; older annotations without
    the score fall back to the distinct count."""
    cfg = SelectionConfig(min_chars=10)
    assert select(doc(badword_distinct=2, badword_score=1.0, badword_ratio=0.02), None, None, cfg).keep
    assert select(doc(badword_distinct=2, badword_score=2.0, badword_ratio=0.02), None, None, cfg).reason == "badwords"
    assert select(doc(badword_distinct=2, badword_ratio=0.02), None, None, cfg).reason == "badwords"
    assert select(doc(badword_distinct=2, badword_score=1.5, badword_ratio=0.02), None, None,
                  SelectionConfig(min_chars=10, badword_min_score=1.5)).reason == "badwords"
    with pytest.raises(ValueError):
        SelectionConfig(badword_min_score=0)


def test_badword_decision_weighs_length_and_weak_only_hits():
    cfg = SelectionConfig(min_chars=10)
    prose = "word " * 15_000                                     # 75,000 characters
    flagged = dict(badword_distinct=2, badword_score=2.0, badword_ratio=0.001, badword_max_weight=1.0)
    assert select(doc(**flagged), None, None, cfg).reason == "badwords"
    assert select(doc(text=prose, **flagged), None, None, cfg).keep            # same hits, 75k chars
    assert select(doc(text=prose, **flagged), None, None,
                  SelectionConfig(min_chars=10, badword_density_chars=0)).reason == "badwords"
    weak = dict(flagged, badword_distinct=4, badword_max_weight=0.5)            # four clinical words
    assert select(doc(**weak), None, None, cfg).keep
    assert select(doc(**dict(weak, badword_score=2.5)), None, None, cfg).reason == "badwords"


def test_site_boilerplate_lines_are_cut_unless_they_are_most_of_the_page():
    text = "Login | Cart | Search\n" + "A long and useful product description. " * 5 + "\nCopyright Acme"
    body_start = text.index("A long")
    footer = text.index("Copyright")
    lines = [{"start": 0, "end": body_start - 1, "count": 5}, {"start": footer, "end": len(text), "count": 2}]
    cfg = SelectionConfig(min_chars=10, cut_paragraph_below=0, cut_sentence_below=0)
    d = select(doc(text=text, paragraphs=[], sentences=[], pii=[]), None, {"site_lines": lines}, cfg)
    assert d.cuts == [{"start": 0, "end": body_start, "reason": "site_boilerplate"}]   # footer: 2 pages < 3
    assert d.text.startswith("A long") and d.text.endswith("Copyright Acme")
    # a page whose lines are nearly all shared is a near-copy: nothing cut here
    whole = [{"start": 0, "end": len(text), "count": 9}]
    assert select(doc(text=text, paragraphs=[], sentences=[], pii=[]), None, {"site_lines": whole}, cfg).cuts == []
    assert select(doc(text=text, paragraphs=[], sentences=[], pii=[]), None, {"site_lines": lines},
                  SelectionConfig(min_chars=10, cut_paragraph_below=0, cut_sentence_below=0,
                                  cut_site_lines_min_pages=0)).cuts == []


def test_flagged_badword_documents_are_counted_whatever_the_policy():
    for policy in ("drop", "downweight", "keep"):
        counts = {}

        def count(name, n=1):
            counts[name] = counts.get(name, 0) + n
        cfg = SelectionConfig(badword_policy=policy)
        select(doc(badword_distinct=3, badword_ratio=0.02), None, None, cfg, count)   # over the thresholds
        select(doc(badword_distinct=1, badword_ratio=0.02), None, None, cfg, count)   # a hit, not flagged
        select(doc(), None, None, cfg, count)
        assert counts == {"badwords.flagged": 1}, policy
