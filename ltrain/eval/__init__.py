"""Evaluation on GSM8K, MMLU, GPQA and BBH: readers, the paper's prompt, answer extraction and
judging, persisted manual verdicts, a resumable runner and a Table-1 style report.

    from ltrain.eval import EvalConfig, run_eval
    run_eval(EvalConfig(model="ckpt", datasets=["gsm8k"], data_dir="data", out="eval-out"))
"""
from ltrain.eval.adjudication import Adjudications
from ltrain.eval.extract import last_boxed
from ltrain.eval.items import EvalItem
from ltrain.eval.judge import Judgement, judge
from ltrain.eval.normalize import normalize, parse_number
from ltrain.eval.prompts import BESPOKE_SYSTEM_PROMPT, INSTRUCTION, PromptBuilder, user_prompt
from ltrain.eval.readers import DATASETS, load_benchmark
from ltrain.eval.report import collect, markdown, summarize
from ltrain.eval.config import EvalConfig
from ltrain.eval.runner import run_eval
from ltrain.eval.scoring import rescore_dir, score_sample

__all__ = ["Adjudications", "BESPOKE_SYSTEM_PROMPT", "DATASETS", "EvalConfig", "EvalItem", "INSTRUCTION",
           "Judgement", "PromptBuilder", "collect", "judge", "last_boxed", "load_benchmark", "markdown",
           "normalize", "parse_number", "rescore_dir", "run_eval", "score_sample", "summarize", "user_prompt"]
