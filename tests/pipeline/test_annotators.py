"""SafetyAnnotator: which languages' word lists apply to a document."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.annotators import SafetyAnnotator
from pipeline.config import SafetyConfig


def _score(shared_data, row, **kw):
    ann = SafetyAnnotator(SafetyConfig(ldnoobw_dirs=(str(shared_data / "safety" / "ldnoobw"),), **kw))
    ann.setup()
    ann.annotate([row], count=lambda *a, **k: None)
    return row["badword_score"]


def test_word_lists_of_minor_languages_do_not_apply(shared_data):
    # a German page with a 2% English caption: "sexy" is on the English list, "nackt" on the German one
    text = "Die Ausstellung zeigt nackt gemalte Figuren.\n\nSexy new look for spring."
    row = dict(text=text, url=None, lang="de", lang_mix=[("de", 0.98), ("en", 0.02)])
    assert _score(shared_data, dict(row)) == 1.0  # only the German list: nackt
    assert _score(shared_data, dict(row), badword_min_lang_share=0.0) == 2.0  # every lang_mix language
    # a real two-language document keeps both lists
    row = dict(text=text, url=None, lang="de", lang_mix=[("de", 0.6), ("en", 0.4)])
    assert _score(shared_data, dict(row)) == 2.0


def test_allow_list_is_configurable(shared_data):
    # 老祖宗 ("forefathers") and 奶奶 ("grandma") are allow-listed words holding the entries 祖宗 and 奶
    row = dict(text="奶奶说老祖宗的规矩不能忘。", url=None, lang="zh", lang_mix=[("zh", 1.0)])
    assert _score(shared_data, dict(row)) == 0.0                       # shipped allow list
    assert _score(shared_data, dict(row), badword_allow="") == 1.25    # none: 祖宗 1.0 + 奶 0.25


def _annotate(config, row):
    ann = SafetyAnnotator(config)
    ann.setup()
    ann.annotate([row], count=lambda *a, **k: None)
    return row


def _first_entry(path):
    return next(line.strip() for line in path.read_text("utf-8").splitlines() if line.strip())


def test_shipped_lists_are_on_by_default():
    from filters.paths import RESOURCES
    word = _first_entry(RESOURCES / "safety" / "ldnoobw" / "en.txt")
    host = _first_entry(RESOURCES / "safety" / "ut1" / "gambling__domains.txt")
    text = f"A page about {word} and {word}, written for this test with a few ordinary words around it."
    row = _annotate(SafetyConfig(), dict(text=text, url=f"http://{host}/index.html", lang="en",
                                         lang_mix=[("en", 1.0)]))
    assert row["badword_count"] == 2 and row["badword_score"] > 0
    assert row["url_category"] == "gambling"


def test_lists_off_config_scores_nothing():
    from filters.paths import RESOURCES
    from pipeline.config import load_config
    word = _first_entry(RESOURCES / "safety" / "ldnoobw" / "en.txt")
    host = _first_entry(RESOURCES / "safety" / "ut1" / "gambling__domains.txt")
    off = load_config(Path(__file__).resolve().parents[2] / "configs" / "safety-lists-off.yaml").annotate.safety
    row = _annotate(off, dict(text=f"{word} {word}", url=f"http://{host}/", lang="en", lang_mix=[("en", 1.0)]))
    assert row["badword_count"] == 0 and row["url_category"] is None


def test_misspelt_builtin_list_fails_at_config_time():
    with pytest.raises(FileNotFoundError, match="not shipped"):
        SafetyConfig(url_dir="builtin:safety/ut2")
    with pytest.raises(ValueError, match="relative path"):
        SafetyConfig(url_dir="builtin:../../etc")
