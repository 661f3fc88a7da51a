"""Run report: what each stage removed, by reason, in documents and characters, and the language
and quality-tier mix before and after selection (report/funnel.json + report/funnel.png).

Built on the driver from the stages' stats JSON files only (a few KB), never from the data.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

from apache_beam.io.filesystems import FileSystems


def _load(run: str, stage: str) -> dict | None:
    path = FileSystems.join(run, stage, "stats", f"{stage}.json")
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path) as f:
        return json.loads(f.read().decode("utf-8"))


def build_funnel(run_dir: str | Path) -> dict:
    """funnel.json content from RUN/{ingest,annotate,dedup,manifest}/stats/*.json (any FileSystems path)."""
    run = str(run_dir)
    ingest = _load(run, "ingest")
    annotate = _load(run, "annotate")
    dedup = _load(run, "dedup")
    manifest = _load(run, "manifest")
    steps = []
    docs = chars = None
    if ingest:
        docs, chars = ingest["records"], None
        steps.append({"stage": "ingest", "step": "input records", "docs": docs, "chars": None})
        for group in ("errors", "rejected"):
            for reason, n in sorted(ingest.get(f"{group}_by_reason", {}).items()):
                docs -= n
                steps.append({"stage": "ingest", "step": f"{group}: {reason}", "removed_docs": n,
                              "removed_chars": 0 if group == "rejected" else None, "docs": docs})
        chars = ingest.get("doc_chars")
        steps.append({"stage": "ingest", "step": "documents", "docs": ingest["docs"], "chars": chars})
    if annotate:
        steps.append({"stage": "annotate", "step": "annotated (nothing removed)", "docs": annotate["docs"],
                      "chars": chars})
    if dedup:
        steps.append({"stage": "dedup", "step": f"{dedup.get('clusters')} clusters (marked, not removed)",
                      "docs": dedup["docs"], "chars": chars})
    if manifest:
        docs = manifest["records"]
        chars = sum(manifest.get("chars_before", {}).values())
        for reason, n in sorted(manifest.get("rejected_by_reason", {}).items(), key=lambda kv: -kv[1]):
            removed_chars = manifest.get("rejected_chars_by_reason", {}).get(reason, 0)
            docs -= n
            chars -= removed_chars
            steps.append({"stage": "manifest", "step": f"rejected: {reason}", "removed_docs": n,
                          "removed_chars": removed_chars, "docs": docs, "chars": chars})
        for reason, removed_chars in sorted(manifest.get("cut_chars_by_reason", {}).items(), key=lambda kv: -kv[1]):
            chars -= removed_chars
            steps.append({"stage": "manifest", "step": f"cut: {reason}", "removed_docs": 0,
                          "removed_chars": removed_chars, "docs": docs, "chars": chars})
        kept_chars = sum(manifest.get("chars_after", {}).values())
        steps.append({"stage": "manifest", "step": "curated", "docs": manifest["kept"], "chars": kept_chars,
                      "redaction_chars_delta": chars - kept_chars})
    mix = {}
    if manifest:
        mix = {"lang_before": manifest.get("lang_before", {}), "lang_after": manifest.get("lang_after", {}),
               "tier_before": manifest.get("tier_before", {}), "tier_after": manifest.get("tier_after", {}),
               "chars_before": manifest.get("chars_before", {}), "chars_after": manifest.get("chars_after", {})}
    totals = {
        "input_records": ingest["records"] if ingest else None,
        "ingested_docs": ingest["docs"] if ingest else None,
        "annotated_docs": annotate["docs"] if annotate else None,
        "clusters": dedup.get("clusters") if dedup else None,
        "curated_docs": manifest["kept"] if manifest else None,
        "curated_chars": sum(manifest.get("chars_after", {}).values()) if manifest else None,
    }
    return {"steps": steps, "mix": mix, "totals": totals}


def write_report(run_dir: str | Path, out_dir: str | Path | None = None) -> str:
    """Write report/funnel.json and report/funnel.png (any FileSystems path); returns the report folder."""
    run = str(run_dir)
    out = str(out_dir) if out_dir else FileSystems.join(run, "report")
    funnel = build_funnel(run)
    with FileSystems.create(FileSystems.join(out, "funnel.json")) as f:
        f.write(json.dumps(funnel, indent=1, sort_keys=True).encode())
    png = io.BytesIO()
    plot_funnel(funnel, png)
    with FileSystems.create(FileSystems.join(out, "funnel.png")) as f:
        f.write(png.getvalue())
    return out


def plot_funnel(funnel: dict, path) -> None:
    """Bars of documents left after each removal step (by stage) and the language/tier mixes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [s for s in funnel["steps"] if s.get("docs") is not None]
    colors = {"ingest": "#4C72B0", "annotate": "#55A868", "dedup": "#C44E52", "manifest": "#8172B2"}
    fig = plt.figure(figsize=(13, 8))
    ax = fig.add_subplot(1, 2, 1)
    labels = [f"{s['stage']}: {s['step']}"[:48] for s in steps]
    ax.barh(range(len(steps)), [s["docs"] for s in steps], color=[colors.get(s["stage"], "grey") for s in steps])
    for i, s in enumerate(steps):
        removed = s.get("removed_docs")
        ax.text(s["docs"], i, f" {s['docs']:,}" + (f"  (-{removed:,})" if removed else ""), va="center", fontsize=7)
    ax.set_yticks(range(len(steps)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("documents left")
    ax.set_title("Documents through the pipeline")
    mix = funnel.get("mix") or {}
    for k, (key, title) in enumerate((("lang", "Languages (docs)"), ("tier", "Quality tiers (docs)"))):
        ax2 = fig.add_subplot(2, 2, 2 + 2 * k)
        before, after = mix.get(f"{key}_before", {}), mix.get(f"{key}_after", {})
        names = sorted(before, key=lambda n: -before[n])[:12]
        xs = range(len(names))
        ax2.bar([x - 0.2 for x in xs], [before.get(n, 0) for n in names], width=0.4, label="before selection")
        ax2.bar([x + 0.2 for x in xs], [after.get(n, 0) for n in names], width=0.4, label="curated")
        ax2.set_xticks(list(xs), names, fontsize=7, rotation=45)
        ax2.set_title(title, fontsize=9)
        ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
