"""SafetyAnnotator: which languages' word lists apply to a document."""
from __future__ import annotations

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
