from pathlib import Path

import pytest

from pipeline.config import Config, ConfigError, config_from_dict, load_config

REPO = Path(__file__).resolve().parents[2]


def test_default_yaml_equals_builtin_defaults():
    assert load_config(REPO / "configs" / "default.yaml") == Config()
    assert load_config(None).hash() == Config().hash()


def test_hash_changes_with_any_setting():
    assert config_from_dict({"ingest": {"max_doc_chars": 10}}).hash() != Config().hash()


@pytest.mark.parametrize("data,message", [
    ({"ingest": {"max_doc_char": 1}}, "unknown key(s) in ingest: max_doc_char"),
    ({"ingset": {}}, "unknown key(s) in config: ingset"),
    ({"ingest": {"oversize": "drop"}}, "ingest.oversize must be one of truncate, split"),
    ({"ingest": {"max_doc_chars": "big"}}, "ingest.max_doc_chars must be an integer"),
    ({"ingest": {"max_doc_chars": 0}}, "ingest.max_doc_chars must be positive"),
    ({"ingest": {"url_fields": "url"}}, "ingest.url_fields must be a list"),
    ({"ingest": {"html_main_content": "yes"}}, "must be true or false"),
])
def test_invalid_values_name_the_key(data, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config_from_dict(data)


def test_environment_variables_expand(monkeypatch, tmp_path):
    monkeypatch.setenv("THRESHER_TEXT_FIELD", "content")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("ingest:\n  text_field: ${THRESHER_TEXT_FIELD}\n  id_field: ${UNSET_VAR_X:-doc_id}\n")
    loaded = load_config(cfg)
    assert loaded.ingest.text_field == "content" and loaded.ingest.id_field == "doc_id"
    cfg.write_text("ingest:\n  text_field: ${UNSET_VAR_X}\n")
    with pytest.raises(ConfigError, match="UNSET_VAR_X is not set"):
        load_config(cfg)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("ingest: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_embedding_settings_hash_only_when_used(tmp_path):
    """Issue 18's settings are out of the hash at their defaults (outputs of runs without them stay
    what they were); set, they change the hash of the stage that reads them, and annotate's hash
    follows the embedding model's file like the other model files."""
    base = Config()
    changed = {"annotate": {"embedding_model": str(tmp_path / "model")},
               "dedup": {"semantic": {"threshold": 0.8}},
               "manifest": {"mixture": {"topic_cap": 0.3}}}
    for section, data in changed.items():
        cfg = config_from_dict({section: data})
        assert cfg.hash((section,)) != base.hash((section,))
        assert all(cfg.hash((other,)) == base.hash((other,)) for other in changed if other != section)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.safetensors").write_bytes(b"one")
    cfg = config_from_dict({"annotate": {"embedding_model": str(tmp_path / "model")}})
    first = cfg.hash(("annotate",))
    (tmp_path / "model" / "model.safetensors").write_bytes(b"longer")
    assert cfg.hash(("annotate",)) != first
