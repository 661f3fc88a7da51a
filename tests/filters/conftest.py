"""Fixtures shared by the tests of filters/: real texts of ../shared, read once per session."""
from __future__ import annotations

import json
import lzma

import pytest


@pytest.fixture(scope="session")
def page_texts(shared_data) -> list[str]:
    """The texts of the public web pages."""
    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


@pytest.fixture(scope="session")
def lingua_rows(shared_data) -> list[tuple[str, str]]:
    """(language, sentence) of each line of the lingua sentence set."""
    with lzma.open(shared_data / "lid" / "lingua_sentences_public.tsv.xz", "rt", encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f]
    return [(r[0], r[1]) for r in rows if len(r) == 2]


@pytest.fixture(scope="session")
def lingua_sentences(lingua_rows) -> list[str]:
    """The sentences of ``lingua_rows``."""
    return [s for _, s in lingua_rows]
