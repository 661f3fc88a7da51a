"""Curation settings: YAML -> frozen, self-validating dataclasses, with a stable config hash.

Runner flags never live here (they pass through to Beam untouched). Each stage owns one section;
unknown keys are an error so a typo never silently falls back to a default. String values may
use ``${VAR}`` or ``${VAR:-default}`` to read environment variables (e.g. a data root).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from filters.dedup_text import TextDedupConfig
from filters.langid import LidConfig
from filters.quality import QualityConfig
from filters.sampling import MixtureConfig
from filters.selection import SelectionConfig
from filters.minhash import MinHashConfig
from filters.semantic import SemanticDedupConfig, TopicConfig
from schemas import SCHEMA_VERSION

INPUT_FORMATS = ("auto", "jsonl", "parquet", "wet", "warc", "txt")


class ConfigError(ValueError):
    """A configuration file or value is invalid; the message names the key."""


@dataclass(frozen=True)
class IngestConfig:
    """How raw files become documents."""
    format: str = "auto"                      # auto: from the file extension (and content for .txt)
    text_field: str = "text"                  # JSONL/Parquet field names; dotted paths reach into objects
    id_field: str = "id"
    url_fields: tuple[str, ...] = ("url", "metadata.url")
    date_fields: tuple[str, ...] = ("date", "created", "timestamp", "metadata.date")
    source_field: str = "source"
    txt_mode: str = "file"                    # .txt: one document per file | per line | per blank-line block
    html_main_content: bool = True            # WARC HTML: keep main content only (drop navigation)
    max_doc_chars: int = 1_000_000            # cap on one document's characters
    oversize: str = "truncate"                # truncate | split (parts get ids <id>#<k>)
    min_chars: int = 1                        # shorter normalized texts are rejected as empty_text
    shard_target_mb: int = 128                # text megabytes per output shard (sets the shard count)
    excerpt_chars: int = 200                  # bytes of raw input kept with each error
    max_record_bytes: int = 0                 # bytes read of one line/record (0: max(64 MiB, 12 x max_doc_chars));
                                              # past it a JSON line is an error, a text/WARC body is truncated
    max_expansion: int = 200                  # a compressed stream past 1 GiB may inflate to this many times
                                              # its compressed bytes; beyond, the rest is a decompression_limit error

    def __post_init__(self):
        _choice("ingest.format", self.format, INPUT_FORMATS)
        _choice("ingest.txt_mode", self.txt_mode, ("file", "line", "blank_line"))
        _choice("ingest.oversize", self.oversize, ("truncate", "split"))
        _positive("ingest.max_doc_chars", self.max_doc_chars)
        _positive("ingest.min_chars", self.min_chars)
        _positive("ingest.shard_target_mb", self.shard_target_mb)
        _positive("ingest.max_expansion", self.max_expansion)
        if self.max_record_bytes < 0:
            raise ConfigError("ingest.max_record_bytes must be >= 0 (0: derived from max_doc_chars)")

    @property
    def record_byte_cap(self) -> int:
        """Bytes of one line or record body that are read; the rest is skipped without buffering."""
        return self.max_record_bytes or max(64 << 20, 12 * self.max_doc_chars)


@dataclass(frozen=True)
class SafetyConfig:
    """Word lists, URL lists, PII and toxicity: signals only; the policy lives in selection."""
    # Lists shipped under filters/resources/safety (see its PROVENANCE.md) are named "builtin:...";
    # set a key to [] / null to turn that list off (configs/safety-lists-off.yaml).
    ldnoobw_dirs: tuple[str, ...] = ("builtin:safety/ldnoobw",)   # folders of <lang>.txt lists (LDNOOBW layout)
    category_dirs: tuple[str, ...] = ("builtin:safety/zh_konsheng",)  # folders of <category>__<name>.txt lists
    # categories to load from category_dirs (None: all ...); porn, ads and livelihood hit 30-50% of clean zh pages
    categories: Optional[tuple[str, ...]] = ("violence_terror", "guns_explosives")
    exclude_categories: tuple[str, ...] = ("political", "political_reactionary")  # ... but these
    url_dir: Optional[str] = "builtin:safety/ut1"  # UT1 layout: <cat>__domains.txt, __urls.txt, __expressions.txt
    url_categories: Optional[tuple[str, ...]] = None
    url_allow_categories: tuple[str, ...] = ("sexual_education",)
    url_host_files: dict[str, str] = field(           # category -> host list file
        default_factory=lambda: {"illegal_urls": "builtin:safety/zh_konsheng/illegal_urls__zh.txt"})
    badword_weights: Optional[str] = None     # term weights file for badword_score (None: the shipped,
                                              # derived filters/resources/badword_weak_terms.txt; "": all 1.0)
    category_weight: float = 0.5              # weight in badword_score of each category_dirs entry (topic words:
                                              # drugs, weapons ...), LDNOOBW entries weigh 1.0 or as derived
    badword_allow: Optional[str] = None       # allow list of ordinary words holding an entry, e.g. 处女作 (None: the
                                              # shipped, derived filters/resources/badword_allow_terms.txt; "": none)
    badword_short_weight: float = 0.25        # single unspaced characters (e.g. one Han character) count this much
    badword_min_lang_share: float = 0.05      # word lists of the languages holding at least this share of the
                                              # text apply (lang_mix); the document language's list always does
    pii: bool = True
    toxicity_model: Optional[str] = None      # fastText model from `thresher train toxicity`
    toxicity_paragraphs: bool = True         # also score each paragraph
    toxicity_langs: Optional[tuple[str, ...]] = ("zh",)  # languages the model was trained for (the COLD
                                              # reference model: zh); documents and paragraphs of other
                                              # languages get null scores. None: every language

    def __post_init__(self):
        if self.category_weight < 0:
            raise ValueError("annotate.safety.category_weight must be >= 0")
        from filters.paths import resolve_resource
        for path in (*self.ldnoobw_dirs, *self.category_dirs, self.url_dir, *self.url_host_files.values()):
            resolve_resource(path)          # a misspelt builtin: name fails here, not on a worker
        if not 0.0 <= self.badword_min_lang_share <= 1.0:
            raise ValueError("annotate.safety.badword_min_lang_share must be in [0, 1]")

    def __hash__(self):
        return hash(json.dumps(dataclasses.asdict(self), sort_keys=True))


@dataclass(frozen=True)
class AnnotateConfig:
    """Signals computed for every document (nothing is dropped at annotate time)."""
    lid: LidConfig = field(default_factory=LidConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    quality_model: Optional[str] = None       # fastText model from `thresher train quality` (label hq)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    embedding_model: Optional[str] = None     # static embedding model folder (`thresher train embeddings` or
                                              # model2vec format): adds the `embedding` column (None: off)


@dataclass(frozen=True)
class DedupConfig:
    """Exact, repetition and near-duplicate settings."""
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    text: TextDedupConfig = field(default_factory=TextDedupConfig)
    max_bucket_size: int = 2000               # LSH bucket members linked at most (the rest counted)
    max_cc_rounds: int = 12                   # connected-components rounds unrolled in the graph at most (a
                                              # random 2,000-node chain needs 10; LSH graphs converge in 2-3);
                                              # a job unrolls ceil(log2(docs)) + 2 when fewer, and re-runs
                                              # with all of them if its graph needs more
    representative: tuple[str, ...] = ("quality", "newest")   # then smallest id
    repetition: bool = True                   # count paragraph/sentence repetition across documents
    min_repeat_docs: int = 2                  # a unit in this many documents is marked repeated
    site_lines: bool = True                   # also count each line across the pages of its host (site boilerplate)
    semantic: SemanticDedupConfig = field(default_factory=SemanticDedupConfig)  # when the input has embeddings
    topics: TopicConfig = field(default_factory=TopicConfig)                    # when the input has embeddings

    def __post_init__(self):
        _positive("dedup.max_bucket_size", self.max_bucket_size)
        _positive("dedup.max_cc_rounds", self.max_cc_rounds)
        _positive("dedup.min_repeat_docs", self.min_repeat_docs)
        for rule in self.representative:
            _choice("dedup.representative[]", rule, ("quality", "newest", "oldest"))


def _default_mixture() -> MixtureConfig:
    return MixtureConfig(tier_multipliers={"high": 1.5, "medium": 1.0, "low": 0.5}, quality_exponent=1.0)


@dataclass(frozen=True)
class ManifestConfig:
    """Selection thresholds and the target mixture (the only settings a manifest re-run needs)."""
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    mixture: MixtureConfig = field(default_factory=_default_mixture)
    tokenizer: Optional[str] = None           # tokenizer.json or SentencePiece .model; None: estimator
    shard_target_mb: int = 256                # characters per curated shard (sets shards per bucket)
    prune_topic_above: Optional[float] = None  # D4-style pruning: in topics holding more than this share of
                                              # their language's documents ...
    prune_topic_frac: float = 0.0             # ... drop this fraction nearest the centroid (topic_prototype)

    def __post_init__(self):
        _positive("manifest.shard_target_mb", self.shard_target_mb)
        if self.prune_topic_above is not None and not 0.0 <= self.prune_topic_above < 1.0:
            raise ConfigError("manifest.prune_topic_above must be in [0, 1) or null")
        if not 0.0 <= self.prune_topic_frac < 1.0:
            raise ConfigError("manifest.prune_topic_frac must be in [0, 1)")

    @property
    def uses_topics(self) -> bool:
        m = self.mixture
        return m.topic_cap is not None or m.topic_size_exponent > 0 or \
            (self.prune_topic_above is not None and self.prune_topic_frac > 0)


@dataclass(frozen=True)
class Config:
    """The whole curation configuration; one section per stage."""
    ingest: IngestConfig = field(default_factory=IngestConfig)
    annotate: AnnotateConfig = field(default_factory=AnnotateConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    manifest: ManifestConfig = field(default_factory=ManifestConfig)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def hash(self, sections: tuple[str, ...] | None = None) -> str:
        """Stable 16-hex digest of the named sections (default: all), the model files they name
        (size and mtime) and the schema version. A stage records the hash of the sections it reads
        (``Stage.sections``) in its tables, stats and completion marker. Settings added after a
        release are left out while they keep their defaults (``_HASH_OMIT_AT_DEFAULT``), so the hash
        (and every output) of an existing configuration does not change when a feature it does not
        use is added."""
        parts: dict = {"schema_version": SCHEMA_VERSION}
        defaults = None
        for name in sections or [f.name for f in dataclasses.fields(self)]:
            section = dataclasses.asdict(getattr(self, name))
            for path in _HASH_OMIT_AT_DEFAULT:
                if path[0] != name:
                    continue
                defaults = defaults or Config().to_dict()
                here, base = section, defaults[name]
                for key in path[1:-1]:
                    here, base = here[key], base[key]
                if here.get(path[-1]) == base.get(path[-1]):
                    here.pop(path[-1], None)
            parts[name] = section
            if name == "annotate":
                parts["models"] = [_file_stamp(section.get("quality_model")),
                                   _file_stamp(section.get("safety", {}).get("toxicity_model"))]
                if section.get("embedding_model"):   # only when set: the default hash stays main's
                    parts["models"].append(_file_stamp(section["embedding_model"].rstrip("/") + "/model.safetensors"))
        blob = json.dumps(parts, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# settings added after outputs were first published (issue 18: embeddings, semantic dedup, topics)
_HASH_OMIT_AT_DEFAULT = (("annotate", "embedding_model"), ("dedup", "semantic"), ("dedup", "topics"),
                         ("manifest", "mixture", "topic_cap"), ("manifest", "mixture", "topic_size_exponent"),
                         ("manifest", "selection", "semantic_downweight_exponent"),
                         ("manifest", "prune_topic_frac"), ("manifest", "prune_topic_above"))


def _file_stamp(path) -> str | None:
    """Size and mtime of a model file named in the config, any scheme (None when absent)."""
    if isinstance(path, str) and path:
        from pipeline.fs import stamp
        return stamp(path)
    return None


def _choice(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{key} must be one of {', '.join(allowed)}; got {value!r}")


def _positive(key: str, value: int) -> None:
    if value <= 0:
        raise ConfigError(f"{key} must be positive; got {value!r}")


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand(value: str) -> str:
    def sub(m):
        name, default = m.group(1), m.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise ConfigError(f"environment variable {name} is not set (use ${{{name}:-default}})")
        return default
    return _ENV.sub(sub, value)


def _build(cls, data: Any, path: str, base: Any = None):
    """Instantiate dataclass ``cls`` from a mapping, checking keys and scalar types.

    Keys not given keep the value of ``base`` (the field's default instance), so a section that
    names one setting changes only that setting."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"unknown key(s) in {path or 'config'}: {', '.join(unknown)}; "
                          f"allowed: {', '.join(sorted(fields))}")
    if base is None:
        base = _default_instance(cls)
    kwargs = {}
    for name, value in data.items():
        key = f"{path}.{name}" if path else name
        kwargs[name] = _coerce(hints[name], value, key, getattr(base, name, None) if base is not None else None)
    try:
        return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path or 'config'}: {exc}") from exc


def _default_instance(cls):
    try:
        return cls()
    except TypeError:   # a dataclass with required fields has no default instance
        return None


def _coerce(tp, value, key, base=None):
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key, base if dataclasses.is_dataclass(base) else None)
    if origin is typing.Union:
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(inner[0], value, key)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, f"{key}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"{key} must have {len(args)} items, got {value!r}")
        return tuple(_coerce(a, v, f"{key}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be a mapping, got {value!r}")
        return {str(k): _coerce(args[1], v, f"{key}.{k}") for k, v in value.items()}
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return _expand(value)
    return value


def config_from_dict(data: dict | None) -> Config:
    """Build and validate a Config from a plain mapping."""
    return _build(Config, data or {}, "")


def load_config(path: str | os.PathLike | None) -> Config:
    """Load a YAML config file (any FileSystems path: local, gs://, s3://); ``None`` gives the defaults."""
    if path is None:
        return Config()
    from pipeline import fs
    p = str(path)
    try:
        text = fs.read_text(p)
    except Exception as exc:   # FileNotFoundError, BeamIOError, an object store's refusal
        if not fs.is_remote(p) and not fs.is_file(p):
            raise ConfigError(f"config file {p} does not exist") from exc
        raise ConfigError(f"config file {p} cannot be read: {type(exc).__name__}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p} is not valid YAML: {exc}") from exc
    return config_from_dict(data)
