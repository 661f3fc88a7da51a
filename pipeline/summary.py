"""The human summary of a ``thresher run``: what each stage read, kept, removed, cut and redacted.

In: the report ``run_all`` returns ({stage: headline stats}) and the run's output folder (any
FileSystems path). Out: text lines for a terminal (``thresher run`` and ``thresher demo`` print
them; ``thresher run --json`` prints the report itself)."""
from __future__ import annotations

import json

from apache_beam.io.filesystems import FileSystems


def _files_under(stage_dir: str) -> dict[str, int]:
    """{subfolder: number of files} for one stage folder (empty when it cannot be listed)."""
    from pipeline import fs
    counts: dict[str, int] = {}
    try:
        files = fs.list_files(stage_dir, "")
    except Exception:  # noqa: BLE001 - a listing problem must not hide the summary
        return counts
    base = stage_dir.rstrip("/") + "/"
    for path in files:
        rel = path[len(base):] if path.startswith(base) else path
        if "/" in rel:
            counts[rel.split("/", 1)[0]] = counts.get(rel.split("/", 1)[0], 0) + 1
    return counts


def run_summary(report: dict, output: str, title: str = "Thresher run finished") -> list[str]:
    """Lines summarising a run: per stage, records in/kept/rejected/errors with reasons, dedup
    clusters, manifest cuts, redactions and buckets, then where the report is."""
    lines = [f"{title}. Outputs under {output}:"]
    for stage, stats in report.items():
        stage_dir = FileSystems.join(output, stage)
        skipped = "  (up to date: skipped)" if stats.get("skipped") else ""
        lines.append("")
        lines.append(f"[{stage}] {stage_dir}{skipped}")
        for sub, n in sorted(_files_under(stage_dir).items()):
            lines.append(f"  {sub + '/':12s} {n} file(s)")
        kept = stats.get("kept", stats.get("docs"))
        lines.append(f"  records in: {stats.get('records')}   kept: {kept}   rejected: {stats.get('rejected')}"
                     f"   errors: {stats.get('errors')}")
        for group in ("rejected_by_reason", "errors_by_reason"):
            for reason, n in sorted(stats.get(group, {}).items()):
                lines.append(f"    {group.split('_')[0]:8s} {reason}: {n}")
        if stage == "dedup":
            lines.append(f"    {stats.get('clusters')} clusters; {stats.get('duplicate_docs', 0)} duplicates "
                         f"({stats.get('docs_match_exact', 0)} exact-match docs, {stats.get('docs_match_near', 0)} "
                         f"near); {stats.get('docs_with_repeats', 0)} docs hold repeated paragraphs/sentences")
        if stage == "manifest":
            for reason, chars in sorted(stats.get("cut_chars_by_reason", {}).items()):
                lines.append(f"    cut      {reason}: {chars:,} characters")
            for kind, n in sorted(stats.get("redactions_by_type", {}).items()):
                lines.append(f"    redacted {kind}: {n}")
            try:
                with FileSystems.open(FileSystems.join(stage_dir, "manifest.json")) as f:
                    manifest = json.loads(f.read().decode("utf-8"))
                lines.append(f"    {len(manifest['buckets'])} buckets, {manifest['totals']['docs']} documents, "
                             f"token budget {manifest['token_budget']:,}")
            except (OSError, ValueError, KeyError):
                lines.append("    (manifest.json not readable)")
    report_dir = FileSystems.join(output, "report")
    if FileSystems.exists(FileSystems.join(report_dir, "funnel.json")):
        lines.append("")
        lines.append(f"[report] {FileSystems.join(report_dir, 'funnel.json')}  "
                     f"{FileSystems.join(report_dir, 'funnel.png')}")
    return lines
