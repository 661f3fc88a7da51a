"""Derive filters/resources/tlds.txt: the top-level domains e-mail detection accepts (filters/pii.py).

Usage: .venv/bin/python benchmarks/derive_tlds.py [--out PATH]   (needs the `derive` extra: tldextract)

Source: the Public Suffix List snapshot bundled in the tldextract wheel (MPL 2.0,
https://publicsuffix.org). Every rule's last label is kept when it is ASCII letters (2-24) or an
IDNA ``xn--`` label; wildcard and exception markers are dropped. Nothing is fetched at run time.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
import re
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "filters" / "resources" / "tlds.txt"
_LABEL = re.compile(r"^(?:[a-z]{2,24}|xn--[a-z0-9-]{1,59})$")


def derive() -> list[str]:
    text = importlib.resources.files("tldextract").joinpath(".tld_set_snapshot").read_text(encoding="utf-8")
    tlds = set()
    for line in text.splitlines():
        rule = line.strip().split()[0] if line.strip() else ""
        if not rule or rule.startswith("//"):
            continue
        label = rule.lstrip("!").split(".")[-1].lower()
        if _LABEL.match(label):
            tlds.add(label)
    return sorted(tlds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    tlds = derive()
    version = importlib.metadata.version("tldextract")
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("# Top-level domains (derived, do not edit: re-run `.venv/bin/python benchmarks/derive_tlds.py`).\n"
                 f"# Last labels of the Public Suffix List rules bundled in tldextract {version} "
                 "(https://publicsuffix.org, MPL 2.0).\n")
        fh.write("\n".join(tlds) + "\n")
    print(f"{len(tlds)} TLDs -> {args.out}")


if __name__ == "__main__":
    main()
