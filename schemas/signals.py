"""The document-level quality signals: names and Python types (the columns of ``quality_signals``).

Kept here, in the single source of truth for columns, so that ``schemas`` depends on nothing of
the project; ``filters.quality`` computes exactly these keys.
"""
from __future__ import annotations

SIGNAL_TYPES: dict[str, type] = {
    "n_chars": int, "n_words": int, "n_lines": int, "n_blocks": int, "n_sentences": int, "unspaced": bool,
    "letter_frac": float, "digit_frac": float, "upper_frac": float, "symbol_frac": float, "punct_frac": float,
    "repeated_char_frac": float,
    "gq_mean_word_len": float, "gq_symbol_word_ratio": float, "gq_bullet_line_frac": float,
    "gq_ellipsis_line_frac": float, "gq_alpha_word_frac": float, "stopword_count": int, "stopword_frac": float,
    "has_stopword_list": bool,
    "gr_dup_line_frac": float, "gr_dup_line_char_frac": float, "gr_dup_para_frac": float,
    "gr_dup_para_char_frac": float, "gr_top2gram_char_frac": float, "gr_top3gram_char_frac": float,
    "gr_top4gram_char_frac": float, "gr_dup5gram_char_frac": float, "gr_dup6gram_char_frac": float,
    "gr_dup7gram_char_frac": float, "gr_dup8gram_char_frac": float, "gr_dup9gram_char_frac": float,
    "gr_dup10gram_char_frac": float,
    "c4_terminal_line_frac": float, "c4_kept_line_frac": float, "c4_kept_sentences": int,
    "c4_javascript_lines": int, "c4_policy_lines": int, "c4_lorem_ipsum": bool, "c4_curly_bracket": bool,
    "fw_line_punct_frac": float, "fw_short_line_frac": float, "fw_dup_line_char_frac": float,
    "fw_newline_word_ratio": float,
    "url_count": int, "url_char_frac": float, "email_count": int, "boilerplate_cues": int,
    "boilerplate_char_frac": float, "nav_line_frac": float, "global_repeat_char_frac": float,
    "sentence_score_mean": float, "sentence_below_cut_frac": float, "paragraph_score_mean": float,
    "paragraph_below_cut_frac": float, "content_score": float, "size_factor": float,
    "heuristic_score": float, "model_score": float, "mojibake_frac": float,
    "gambling_cues": int, "money_cues": int, "contact_mentions": int, "n_failed_rules": int,
}
