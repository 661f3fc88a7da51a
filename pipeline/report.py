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
        tokens = sum(manifest.get("tokens_before", {}).values()) if "tokens_before" in manifest else None
        steps.append({"stage": "manifest", "step": "selection input", "docs": docs, "chars": chars, "tokens": tokens})
        rejected_tokens = manifest.get("rejected_tokens_by_reason", {})
        for reason, n in sorted(manifest.get("rejected_by_reason", {}).items(), key=lambda kv: -kv[1]):
            removed_chars = manifest.get("rejected_chars_by_reason", {}).get(reason, 0)
            removed_tokens = rejected_tokens.get(reason, 0) if tokens is not None else None
            docs -= n
            chars -= removed_chars
            tokens = tokens - removed_tokens if tokens is not None else None
            steps.append({"stage": "manifest", "step": f"rejected: {reason}", "removed_docs": n,
                          "removed_chars": removed_chars, "removed_tokens": removed_tokens,
                          "docs": docs, "chars": chars, "tokens": tokens})
        cut_tokens = manifest.get("cut_tokens_by_reason", {})
        for reason, removed_chars in sorted(manifest.get("cut_chars_by_reason", {}).items(), key=lambda kv: -kv[1]):
            removed_tokens = cut_tokens.get(reason, 0) if tokens is not None else None
            chars -= removed_chars
            tokens = tokens - removed_tokens if tokens is not None else None
            steps.append({"stage": "manifest", "step": f"cut: {reason}", "removed_docs": 0,
                          "removed_chars": removed_chars, "removed_tokens": removed_tokens,
                          "docs": docs, "chars": chars, "tokens": tokens})
        redactions = manifest.get("redactions_by_type", {})
        kept_chars = sum(manifest.get("chars_after", {}).values())
        if redactions:
            what = ", ".join(f"{n} {kind}" for kind, n in sorted(redactions.items()))
            steps.append({"stage": "manifest", "step": f"redacted: {what}", "removed_docs": 0,
                          "removed_chars": chars - kept_chars, "removed_tokens": None,
                          "docs": docs, "chars": kept_chars, "tokens": tokens})
        kept_tokens = sum(manifest.get("tokens_after", {}).values()) if tokens is not None else None
        steps.append({"stage": "manifest", "step": "curated", "docs": manifest["kept"], "chars": kept_chars,
                      "tokens": kept_tokens, "redaction_chars_delta": chars - kept_chars})
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
        "curated_tokens": sum(manifest.get("tokens_after", {}).values()) if manifest and "tokens_after" in manifest
        else None,
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


def _funnel_panel(ax, steps: list[dict], key: str, title: str, colors: dict, labels: bool) -> None:
    """Horizontal bars of ``key`` (docs, chars, tokens) left after each step, with what the step removed."""
    values = [s.get(key) for s in steps]
    top = max((v for v in values if v is not None), default=0) or 1
    ax.barh(range(len(steps)), [v or 0 for v in values], color=[colors.get(s["stage"], "grey") for s in steps])
    removed_key = f"removed_{key}"
    for i, (s, v) in enumerate(zip(steps, values)):
        if v is None:
            ax.text(0, i, " n/a", va="center", fontsize=6, color="grey")
            continue
        removed = s.get(removed_key)
        note = f" {_short(v)}" + (f" (-{_short(removed)})" if removed else "")
        ax.text(v, i, note, va="center", fontsize=6)
    ax.set_xlim(0, top * 1.45)            # room for the labels inside the frame
    ax.set_yticks(range(len(steps)), [f"{s['stage']}: {s['step']}"[:52] for s in steps] if labels else
                  [""] * len(steps), fontsize=7)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)
    ax.tick_params(axis="x", labelsize=7)


def _short(n: float) -> str:
    n = float(n)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}"
    return f"{n:,.0f}"


def plot_funnel(funnel: dict, path) -> None:
    """Documents, characters and tokens left after each step (removals, cuts and redaction
    included), then the language and quality-tier mixes before and after selection."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [s for s in funnel["steps"] if s.get("docs") is not None]
    colors = {"ingest": "#4C72B0", "annotate": "#55A868", "dedup": "#C44E52", "manifest": "#8172B2"}
    fig = plt.figure(figsize=(16, 10))
    grid = fig.add_gridspec(2, 3, height_ratios=[3, 2])
    for k, (key, title) in enumerate((("docs", "Documents left"), ("chars", "Characters left"),
                                      ("tokens", "Tokens left (from the manifest stage on)"))):
        _funnel_panel(fig.add_subplot(grid[0, k]), steps, key, title, colors, labels=k == 0)
    mix = funnel.get("mix") or {}
    totals = funnel.get("totals") or {}
    note = fig.add_subplot(grid[1, 2])
    note.axis("off")
    lines = [f"{label}: {_short(totals[key]) if totals.get(key) is not None else 'n/a'}"
             for key, label in (("input_records", "input records"), ("ingested_docs", "documents ingested"),
                                ("clusters", "dedup clusters"), ("curated_docs", "documents curated"),
                                ("curated_chars", "characters curated"), ("curated_tokens", "tokens curated"))]
    note.text(0.02, 0.95, "\n".join(lines), va="top", fontsize=9, family="monospace")
    note.set_title("Totals", fontsize=9)
    for k, (key, title) in enumerate((("lang", "Languages (docs)"), ("tier", "Quality tiers (docs)"))):
        ax2 = fig.add_subplot(grid[1, k])
        before, after = mix.get(f"{key}_before", {}), mix.get(f"{key}_after", {})
        names = sorted(before, key=lambda n: -before[n])[:12]
        xs = range(len(names))
        ax2.bar([x - 0.2 for x in xs], [before.get(n, 0) for n in names], width=0.4, label="before selection")
        ax2.bar([x + 0.2 for x in xs], [after.get(n, 0) for n in names], width=0.4, label="curated")
        ax2.set_xticks(list(xs), names, fontsize=7, rotation=45)
        ax2.set_title(title, fontsize=9)
        ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
