"""``thresher demo``: write a small multilingual sample (text written for Thresher, no network),
run every stage on it and print where the outputs are and what each stage kept and removed."""
from __future__ import annotations

import gzip
import json
import os
import random
import sys
from pathlib import Path

SENTENCES = {
    "en": ["The river rose slowly after three days of rain in the hills.",
           "Local farmers moved their cattle to higher ground before nightfall.",
           "A small library opened in the old railway station last spring.",
           "Volunteers repaired the roof with timber donated by a nearby mill.",
           "Children from four villages now take the same bus to school.",
           "The council will publish its budget for the coming year in March.",
           "Engineers tested the new bridge with loaded trucks on Tuesday.",
           "Most visitors arrive by ferry during the summer months.",
           "The museum keeps a collection of hand-drawn maps from the last century.",
           "Heavy snow closed the mountain pass for almost two weeks.",
           "A retired teacher started a weekly reading club for adults.",
           "The bakery on the corner sells bread made with local rye."],
    "de": ["Der Fluss stieg nach drei Tagen Regen langsam an.",
           "Die Bauern brachten ihr Vieh vor Einbruch der Nacht auf höheres Gelände.",
           "Im alten Bahnhof wurde im Frühjahr eine kleine Bibliothek eröffnet.",
           "Freiwillige reparierten das Dach mit Holz aus einem nahen Sägewerk.",
           "Der Gemeinderat veröffentlicht seinen Haushalt im März.",
           "Ingenieure prüften die neue Brücke am Dienstag mit beladenen Lastwagen.",
           "Die meisten Besucher kommen im Sommer mit der Fähre.",
           "Starker Schneefall sperrte den Pass fast zwei Wochen lang."],
    "fr": ["La rivière a monté lentement après trois jours de pluie.",
           "Les agriculteurs ont déplacé leur bétail avant la tombée de la nuit.",
           "Une petite bibliothèque a ouvert dans l'ancienne gare au printemps.",
           "Des bénévoles ont réparé le toit avec du bois offert par une scierie.",
           "Le conseil publiera son budget pour l'année prochaine en mars.",
           "La plupart des visiteurs arrivent en ferry pendant l'été."],
    "es": ["El río subió lentamente después de tres días de lluvia.",
           "Los agricultores llevaron su ganado a tierras más altas antes de la noche.",
           "Una pequeña biblioteca abrió en la antigua estación de tren.",
           "Los voluntarios repararon el tejado con madera de un aserradero cercano.",
           "El ayuntamiento publicará su presupuesto para el próximo año en marzo.",
           "La mayoría de los visitantes llegan en ferry durante el verano."],
    "zh": ["连续下了三天雨之后，河水慢慢上涨。",
           "天黑之前，农民们把牛群赶到了地势较高的地方。",
           "去年春天，一座小图书馆在旧火车站里开放了。",
           "志愿者用附近木材厂捐赠的木料修好了屋顶。",
           "四个村子的孩子现在坐同一辆校车上学。",
           "市议会将在三月公布明年的预算。",
           "工程师们在星期二用满载的卡车测试了新桥。",
           "大多数游客在夏季乘渡轮到达。"],
}
BOILERPLATE = {"en": "Accept cookies | Privacy | Terms | Contact us",
               "de": "Impressum | Datenschutz | Kontakt",
               "zh": "版权所有，转载请注明出处。"}
SPAM = "BUY NOW cheap deals best price click here " * 12


def write_sample(out: Path, docs: int, seed: int = 7) -> Path:
    """Write sample/part-0000{0,1}.jsonl(.gz) plus a truncated gzip and return the sample folder."""
    rng = random.Random(seed)
    sample = out / "sample"
    sample.mkdir(parents=True, exist_ok=True)
    rows = []
    langs = list(SENTENCES)
    for i in range(docs):
        kind = rng.random()
        lang = rng.choice(langs)
        sep = "" if lang == "zh" else " "
        paras = [sep.join(rng.sample(SENTENCES[lang], rng.randint(2, 4))) for _ in range(rng.randint(2, 4))]
        if lang in BOILERPLATE and rng.random() < 0.3:
            paras.append(BOILERPLATE[lang])
        text = "\n\n".join(paras)
        if kind < 0.08 and rows:
            text = rng.choice(rows)["text"]                     # exact duplicate
        elif kind < 0.12:
            text = SPAM
        elif kind < 0.14:
            text = "  \n "                                      # empty after normalization
        rows.append({"id": f"demo-{i:05d}", "url": f"https://example.org/{lang}/{i}", "text": text,
                     "date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
    half = len(rows) // 2
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    (sample / "part-00000.jsonl").write_text("\n".join(lines[:half] + ['{"id": "broken", "text": ']) + "\n",
                                             encoding="utf-8")
    with gzip.open(sample / "part-00001.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(lines[half:]) + "\n")
    blob = gzip.compress("\n".join(lines[:20]).encode())
    (sample / "part-00002-truncated.jsonl.gz").write_bytes(blob[: len(blob) // 2])
    return sample


def run_demo(output: str, docs: int, beam_args: list[str]) -> int:
    from pipeline.chain import run_all
    from pipeline.config import Config
    from pipeline.runner import beam_options

    out = Path(output).resolve()
    sample = write_sample(out, docs)
    print(f"sample written: {sample} ({docs} generated records, 3 files, one of them truncated)",
          file=sys.stderr)
    report = run_all([str(sample)], str(out / "run"), Config(), beam_options(beam_args, "demo"))
    print(f"\nThresher demo finished. Outputs under {out / 'run'}:")
    for stage, stats in report.items():
        stage_dir = out / "run" / stage
        print(f"\n[{stage}] {stage_dir}")
        for sub in sorted(p.name for p in stage_dir.iterdir() if p.is_dir()):
            print(f"  {sub + '/':10s} {len(list((stage_dir / sub).glob('*')))} file(s)")
        kept = stats.get("docs", stats.get("kept"))
        print(f"  records in: {stats.get('records')}   kept: {kept}   rejected: {stats.get('rejected')}"
              f"   errors: {stats.get('errors')}")
        for group in ("rejected_by_reason", "errors_by_reason"):
            for reason, n in sorted(stats.get(group, {}).items()):
                print(f"    {group.split('_')[0]:8s} {reason}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(run_demo(sys.argv[1] if len(sys.argv) > 1 else "demo_out", 300, []))
