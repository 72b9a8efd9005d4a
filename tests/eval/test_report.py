"""The results table on hand-made runs: every number below was computed by hand from the samples."""
from __future__ import annotations

import csv
import json

import pytest

from ltrain.cli.main import main
from ltrain.eval.report import collect, markdown
from ltrain.eval.samples import samples_path


def sample(item, output, peak, dep, compressions, seconds, output_tokens=10):
    return {**item.to_dict(), "prompt": "p", "output": output, "finished": True,
            "stats": {"peak_tokens": peak, "dep": dep, "compressions": compressions,
                      "output_tokens": output_tokens, "seconds": seconds}}


def write_run(path, method, samples):
    path.mkdir(parents=True)
    (path / "run.json").write_text(json.dumps({"method": method, "label": method}))
    for dataset in ("gsm8k", "bbh"):
        lines = [json.dumps(s) for s in samples if s["dataset"] == dataset]
        samples_path(path, dataset).parent.mkdir(exist_ok=True)
        samples_path(path, dataset).write_text("\n".join(lines) + "\n")


@pytest.fixture
def runs(tmp_path, items):
    g0, g1 = items["gsm8k"][0], items["gsm8k"][1]          # golds 78, 8
    b0 = items["bbh"][0]                                    # gold True
    vanilla = [sample(g0, r"\boxed{78}", 100, 1000, 0, 1.5), sample(g1, r"\boxed{7}", 200, 3000, 0, 2.5),
               sample(b0, r"\boxed{True}", 50, 500, 0, 1.0)]
    light = [sample(g0, r"\boxed{seventy-eight}", 40, 400, 3, 1.0), sample(g1, r"\boxed{8}", 60, 600, 5, 2.0),
             sample(b0, r"\boxed{No}", 30, 300, 2, 0.5)]
    write_run(tmp_path / "vanilla", "vanilla", vanilla)
    write_run(tmp_path / "light", "lightthinker", light)
    return tmp_path / "vanilla", tmp_path / "light"


def test_summary_values(runs):
    summary = collect(runs)
    got = {(r["label"], r["dataset"]): r for r in summary.to_dicts()}
    v, l = "vanilla", "lightthinker"
    assert [(r["label"], r["dataset"]) for r in summary.to_dicts()] == [(v, "gsm8k"), (v, "bbh"), (v, "avg"),
                                                                       (l, "gsm8k"), (l, "bbh"), (l, "avg")]
    expected = {"n": 2, "acc": 50.0, "acc_auto": 50.0, "unresolved": 0, "time_s": 4.0, "peak": 150.0,
                "dep": 2000.0, "compressions": 0.0, "output_tokens": 10.0}
    assert {k: got[v, "gsm8k"][k] for k in expected} == expected
    assert (got[v, "avg"]["acc"], got[v, "avg"]["time_s"], got[v, "avg"]["peak"], got[v, "avg"]["dep"]) == \
        (75.0, 2.5, 100.0, 1250.0)
    # lightthinker: "seventy-eight" is unresolved (counted wrong), 8 correct, "No" for True wrong
    assert (got[l, "gsm8k"]["acc"], got[l, "gsm8k"]["unresolved"], got[l, "gsm8k"]["compressions"]) == (50.0, 1, 4.0)
    assert (got[l, "avg"]["acc"], got[l, "avg"]["compressions"], got[l, "avg"]["peak"]) == (25.0, 3.0, 40.0)


def test_adjudicated_accuracy_is_reported_next_to_the_rules(runs, tmp_path):
    adj = tmp_path / "verdicts.jsonl"
    adj.write_text(json.dumps({"dataset": "gsm8k", "id": "gsm8k_test_items301-306/0", "answer": "seventy-eight",
                               "verdict": "correct"}) + "\n")
    got = {(r["label"], r["dataset"]): r for r in collect(runs, adj).to_dicts()}
    assert (got["lightthinker", "gsm8k"]["acc_auto"], got["lightthinker", "gsm8k"]["acc"]) == (50.0, 100.0)
    assert (got["lightthinker", "gsm8k"]["manual"], got["lightthinker", "gsm8k"]["unresolved"]) == (1, 0)
    assert (got["lightthinker", "avg"]["acc_auto"], got["lightthinker", "avg"]["acc"]) == (25.0, 50.0)


def test_markdown_layout(runs):
    text = markdown(collect(runs))
    lines = text.splitlines()
    assert lines[0] == ("| Method | GSM8K Acc ↑ | GSM8K Time (s) ↓ | GSM8K Peak ↓ | GSM8K Dep ↓ | "
                        "GSM8K Comp. | BBH Acc ↑ | BBH Time (s) ↓ | BBH Peak ↓ | BBH Dep ↓ | BBH Comp. | "
                        "AVG. Acc ↑ | AVG. Time (s) ↓ | AVG. Peak ↓ | AVG. Dep ↓ | AVG. Comp. |")
    assert lines[2] == ("| vanilla | 50.00 | 4.00 | 150 | 2.0K | 0.0 | 100.00 | 1.00 | 50 | 500 | 0.0 | "
                        "75.00 | 2.50 | 100 | 1.2K | 0.0 |")
    assert lines[3] == ("| lightthinker | 50.00 | 3.00 | 50 | 500 | 4.0 | 0.00 | 0.50 | 30 | 300 | 2.0 | "
                        "25.00 | 1.75 | 40 | 400 | 3.0 |")
    assert "| lightthinker | GSM8K | 2 | 50.00 | 50.00 | 1 | 0 |" in lines


def test_report_cli_writes_csv_md_and_png(runs, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["eval", "report", *map(str, runs), "--csv", f"{out}.csv", "--md", f"{out}.md",
                 "--png", f"{out}.png"]) == 0
    rows = list(csv.DictReader(open(f"{out}.csv")))
    assert [(r["label"], r["dataset"], float(r["acc"]), float(r["dep"])) for r in rows][:3] == [
        ("vanilla", "gsm8k", 50.0, 2000.0), ("vanilla", "bbh", 100.0, 500.0), ("vanilla", "avg", 75.0, 1250.0)]
    assert open(f"{out}.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out == open(f"{out}.md").read()
