"""Mojibake detection: damage that can be undone is found; clean text of any script is not."""
import ast

from filters.encoding import mojibake_chars
from filters.quality import QualityScorer


def test_utf8_read_as_gbk_or_cp1252_is_found():
    assert mojibake_chars("澳洲幸运28是不是正规的".encode("utf-8").decode("gbk", errors="replace")) >= 4
    assert mojibake_chars("東京の天気は晴れです".encode("utf-8").decode("big5", errors="replace")) >= 4
    assert mojibake_chars("Café, naïve, don’t".encode("utf-8").decode("cp1252")) >= 6


def test_clean_text_scores_zero(shared_data):
    clean = ["澳洲幸运28是不是正规的", "東京都の天気は晴れです", "Größe naïve résumé façade", "Москва — столица",
             "ภาษาไทย", "한국어 텍스트", "Ελληνικά", "עברית", "😀 emoji ✓"]
    assert [mojibake_chars(t) for t in clean] == [0] * len(clean)
    lines = (shared_data / "web_zh" / "c4zh_duplicated_lines_samples.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [ast.literal_eval(line)[1] for line in lines if line.strip()]
    assert len(texts) > 100 and sum(mojibake_chars(t) > 0 for t in texts) == 0


def test_encoding_damage_rule_lowers_quality():
    good = "这是一个关于城市图书馆的页面。图书馆每天早上九点开门，周末也开放。读者可以借阅图书和杂志。\n" * 5
    damaged = good + ("婢虫床28鏄?笉鏄??瑙勭殑" + "。") * 3
    scorer = QualityScorer()
    g, d = scorer.score(good, "zh"), scorer.score(damaged, "zh")
    assert "encoding_damage" not in g.failed_rules and "encoding_damage" in d.failed_rules
    assert d.signals["mojibake_frac"] > 0 and d.quality_score < g.quality_score


def test_misread_triples_count_every_triple_of_the_three_classes():
    """The triple count equals the plain definition: positions i with classes (0, 1, 2) at i, i+1, i+2."""
    import numpy as np
    from filters.encoding import _MISREAD_CJK, _misread_triples

    def reference(text):
        cp = np.array([ord(c) for c in text if ord(c) < 0x10000], dtype=np.int64)
        if cp.size < 3:
            return 0
        for table in _MISREAD_CJK:
            found = sum(bool(table[0][cp[i]] and table[1][cp[i + 1]] and table[2][cp[i + 2]]) for i in range(cp.size - 2))
            if found:
                return found
        return 0
    texts = ["澳洲幸运28是不是正规的".encode("utf-8").decode("gbk", errors="replace"),
             "東京の天気は晴れです".encode("utf-8").decode("big5", errors="replace"),
             "婢虫床28鏄?笉鏄??瑙勭殑" * 3, "clean 中文 text", "ab", "婢虫"]
    counts = [_misread_triples(t) for t in texts]
    assert counts == [reference(t) for t in texts] and counts[0] > 0 and counts[2] > 0
