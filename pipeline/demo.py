"""``thresher demo``: write a small multilingual sample (text written for Thresher, no network),
run every stage on it and print where the outputs are and what each stage kept and removed."""
from __future__ import annotations

import gzip
import json
import random
import shutil
import sys
import zlib
from pathlib import Path

# Sentence parts written for this demo: subject, action, object, place, time. Combining them gives
# hundreds of thousands of distinct sentences, so only the planted lines repeat across documents.
PARTS = {
    "en": (["The river council", "A retired teacher", "Local farmers", "The museum staff", "Two engineers",
            "A small bakery", "The village choir", "Our volunteers", "The harbour master", "A young botanist",
            "The school board", "Three cyclists"],
           ["repaired", "measured", "photographed", "rebuilt", "painted", "surveyed", "catalogued", "restored",
            "inspected", "mapped", "cleaned", "described"],
           ["the old stone bridge", "a row of apple trees", "the lighthouse stairs", "the flooded meadow",
            "a collection of maps", "the railway tunnel", "the wooden pier", "the mountain trail",
            "a field of sunflowers", "the town archive", "the north wall", "the ferry timetable"],
           ["near the harbour", "behind the station", "along the canal", "on the eastern hill", "in the valley",
            "beside the market", "at the edge of town", "across the river"],
           ["last spring", "on Tuesday morning", "after the storm", "before the festival", "during the winter",
            "in early August", "over the weekend", "two years ago"]),
    "de": (["Der Gemeinderat", "Eine Lehrerin", "Die Bauern", "Das Museumsteam", "Zwei Ingenieure",
            "Die Bäckerei", "Der Chor", "Freiwillige Helfer", "Der Hafenmeister", "Eine Botanikerin"],
           ["reparierte", "vermaß", "fotografierte", "baute", "strich", "untersuchte", "ordnete", "reinigte"],
           ["die alte Steinbrücke", "eine Reihe Apfelbäume", "die Treppe des Leuchtturms", "die überflutete Wiese",
            "eine Sammlung alter Karten", "den Eisenbahntunnel", "den hölzernen Steg", "den Bergpfad"],
           ["am Hafen", "hinter dem Bahnhof", "entlang des Kanals", "auf dem Osthügel", "im Tal", "neben dem Markt"],
           ["im letzten Frühjahr", "am Dienstagmorgen", "nach dem Sturm", "vor dem Fest", "im Winter",
            "Anfang August", "am Wochenende"]),
    "fr": (["Le conseil municipal", "Une institutrice", "Les agriculteurs", "L'équipe du musée", "Deux ingénieurs",
            "La boulangerie", "La chorale", "Des bénévoles", "Le capitaine du port", "Une botaniste"],
           ["a réparé", "a mesuré", "a photographié", "a reconstruit", "a repeint", "a inspecté", "a nettoyé"],
           ["le vieux pont de pierre", "une rangée de pommiers", "l'escalier du phare", "la prairie inondée",
            "une collection de cartes", "le tunnel ferroviaire", "la jetée en bois", "le sentier de montagne"],
           ["près du port", "derrière la gare", "le long du canal", "sur la colline est", "dans la vallée"],
           ["au printemps dernier", "mardi matin", "après la tempête", "avant la fête", "pendant l'hiver",
            "début août"]),
    "es": (["El ayuntamiento", "Una maestra jubilada", "Los agricultores", "El equipo del museo", "Dos ingenieros",
            "La panadería", "El coro del pueblo", "Los voluntarios", "El capitán del puerto", "Una botánica"],
           ["reparó", "midió", "fotografió", "reconstruyó", "pintó", "inspeccionó", "limpió", "catalogó"],
           ["el viejo puente de piedra", "una fila de manzanos", "la escalera del faro", "el prado inundado",
            "una colección de mapas", "el túnel del ferrocarril", "el muelle de madera", "el sendero"],
           ["cerca del puerto", "detrás de la estación", "junto al canal", "en la colina este", "en el valle"],
           ["la primavera pasada", "el martes por la mañana", "después de la tormenta", "antes de la fiesta",
            "durante el invierno", "a principios de agosto"]),
    "zh": (["村委会", "一位退休教师", "当地农民", "博物馆的工作人员", "两名工程师", "街角的面包店", "村里的合唱团",
            "志愿者们", "港口负责人", "一位年轻的植物学家"],
           ["修好了", "测量了", "拍摄了", "重建了", "粉刷了", "检查了", "整理了", "清理了"],
           ["那座旧石桥", "一排苹果树", "灯塔的楼梯", "被淹的草地", "一批手绘地图", "铁路隧道", "木头码头", "山间小路"],
           ["在港口附近", "在车站后面", "沿着运河", "在东边的山坡上", "在山谷里", "在集市旁边"],
           ["去年春天", "星期二上午", "暴风雨过后", "节日之前", "冬天里", "八月初", "周末"]),
}
BOILERPLATE = {"en": "Accept cookies | Privacy | Terms | Contact us",
               "de": "Impressum | Datenschutz | Kontakt",
               "zh": "版权所有，转载请注明出处。"}
SPAM = "BUY NOW cheap deals best price click here " * 12


def sentence(rng: random.Random, lang: str) -> str:
    subject, action, obj, place, when = (rng.choice(p) for p in PARTS[lang])
    if lang == "zh":
        return f"{when}，{subject}{place}{action}{obj}。"
    if lang == "de":
        return f"{when.capitalize()} {action} {subject[0].lower() + subject[1:]} {obj} {place}."
    return f"{subject} {action} {obj} {place} {when}."


def write_sample(out: Path, docs: int, seed: int = 7) -> tuple[Path, int]:
    """Write sample/part-0000{0,1}.jsonl(.gz) plus a truncated gzip; return the sample folder and
    the number of input records in it (documents, the malformed line, the truncated copy's complete
    lines and its cut)."""
    rng = random.Random(seed)
    sample = out / "sample"
    sample.mkdir(parents=True, exist_ok=True)
    rows = []
    langs = list(PARTS)
    for i in range(docs):
        kind = rng.random()
        lang = rng.choice(langs)
        sep = "" if lang == "zh" else " "
        paras = [sep.join(sentence(rng, lang) for _ in range(rng.randint(3, 6))) for _ in range(rng.randint(3, 6))]
        if lang in BOILERPLATE and rng.random() < 0.3:
            paras.append(BOILERPLATE[lang])
        text = "\n\n".join(paras)
        if kind < 0.08 and rows:
            text = rng.choice(rows)["text"]                     # exact duplicate
        elif kind < 0.12:
            text = SPAM
        elif kind < 0.14:
            text = "  \n "                                      # empty after normalization
        elif kind < 0.20:                                       # contact details, redacted by the manifest
            # inside the last sentence, before its full stop
            text = text[:-1] + f" (reader{i}@example.org, +1 202 555 {i % 10000:04d})" + text[-1]
        rows.append({"id": f"demo-{i:05d}", "url": f"https://example.org/{lang}/{i}", "text": text,
                     "date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})
    half = len(rows) // 2
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    (sample / "part-00000.jsonl").write_text("\n".join(lines[:half] + ['{"id": "broken", "text": ']) + "\n",
                                             encoding="utf-8")
    with gzip.open(sample / "part-00001.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write("\n".join(lines[half:]) + "\n")
    blob = gzip.compress("\n".join(lines[:20]).encode())
    cut = blob[: len(blob) // 2]
    (sample / "part-00002-truncated.jsonl.gz").write_bytes(cut)
    complete_lines = zlib.decompressobj(wbits=47).decompress(cut).count(b"\n")
    return sample, docs + 1 + complete_lines + 1


def run_demo(output: str, docs: int, beam_args: list[str]) -> int:
    from pipeline.chain import run_all
    from pipeline.config import Config
    from pipeline.runner import beam_options

    out = Path(output).resolve()
    sample, records = write_sample(out, docs)
    print(f"sample written: {sample} ({records} input records in 3 files: {docs} generated documents, "
          f"a malformed JSON line, and a gzip copy of the first lines cut in half: its complete lines "
          f"plus one record for the cut)", file=sys.stderr)
    report = run_all([str(sample)], str(out / "run"), Config(), beam_options(beam_args, "demo"))
    from pipeline.summary import run_summary
    print("\n" + "\n".join(run_summary(report, str(out / "run"), title="Thresher demo finished")))
    report_dir = out / "run" / "report"
    if report_dir.exists():
        notebook = Path(__file__).resolve().parent.parent / "notebooks" / "inspect_manifest.ipynb"
        if notebook.exists():
            copy = out / notebook.name
            shutil.copyfile(notebook, copy)
            print("Inspect the manifest in a notebook (executed copy, then open it in JupyterLab or VS Code):\n"
                  f"  THRESHER_MANIFEST_DIR={out / 'run' / 'manifest'} {Path(sys.executable).parent / 'jupyter'} "
                  f"execute --inplace {copy}")
    return 0


if __name__ == "__main__":
    sys.exit(run_demo(sys.argv[1] if len(sys.argv) > 1 else "demo_out", 300, []))
