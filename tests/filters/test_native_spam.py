"""filters/_native/spam.pyx against the pure-Python references in filters/spam.py."""
from __future__ import annotations

import json
import lzma
import random

import pytest

from filters._native import native
from filters.spam import _CONTACT_APPS, PY_KERNELS, _app_table

K = native("spam")


def _native_names_app(text: str) -> bool:
    return K.contains_any(text, *_app_table())


def test_names_app_equals_reference_on_real_pages(shared_data):
    with lzma.open(shared_data / "web_pages" / "pages_public.jsonl.xz", "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    found = [_native_names_app(t) for t in texts]
    assert found == [PY_KERNELS["names_app"](t) for t in texts]
    assert any(found) and not all(found)


def test_names_app_equals_reference_on_random_text():
    rng = random.Random(4)
    pieces = [w for a in _CONTACT_APPS for w in (a, a.upper(), a[:-1], a[1:], a.lower())] + [
        " ", "\n", "x", "Q", "微", "信", "é", "\U0001F600", "\ud83d", "\u00a0", "TELEGRA", "Whats", "App"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 6)))
        assert _native_names_app(text) == PY_KERNELS["names_app"](text), repr(text)


@pytest.mark.parametrize("text", ["", "Q", "QQ", "xQQ", "QQx", "qq", "微", "微信", "a微信", "V信\U0001F600", "\ud800WX",
                                  "WeChat", "WECHAT", "Wechat", "LINE ID", "Line Id", "ZALO", "카톡", "텔레그램", "텔레그"])
def test_names_app_edge_cases(text):
    assert _native_names_app(text) == PY_KERNELS["names_app"](text)
