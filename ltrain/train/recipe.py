"""The training recipe: setup -> train -> save_checkpoint, around `deepspeed.initialize`.

One optimizer step = `accumulation` micro-batches on each rank. Before the first forward of a step
the label tokens of the whole step are counted over all ranks (N), and each micro-batch backprops
sum(token losses) x world / N without DeepSpeed's 1/accumulation scaling; DeepSpeed then averages
the gradients over the ranks. So the step's gradient is that of the mean token loss over the whole
global batch, however it is split (the LightThinker reference normalised per rank, so ranks with fewer label tokens weighed more).

With a curriculum the stages run back to back as one run: one sampler over their plans, one LR
schedule (warmup, then decay) over all their steps, and every record and checkpoint names its stage.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import torch

from ltdata.errors import ConfigError
from ltdata.shards.schema import MODEL_COLUMNS
from ltrain.train.checkpoint import (checkpoints, latest_checkpoint, load_state, read_metadata, resolve_resume,
                                     save_checkpoint, step_dir)
from ltrain.train.config import TrainConfig
from ltrain.train.curriculum import describe, open_curriculum
from ltrain.train.data import PlanSampler, StepSampler, build_loader, local_data, read_data_info, steps_per_epoch
from ltrain.train.distributed import all_reduce_sum, init_distributed
from ltrain.train.ds_config import deepspeed_config, torch_optimizer
from ltrain.train.embeddings import prepare_embeddings
from ltrain.train.loss import label_positions, shifted_targets, token_loss_sum
from ltrain.train.model import load_model, model_config
from ltrain.train.progress import TrainLogger
from ltrain.train.system_prompt import training_system_prompt

# keys whose change would make a resumed run diverge from the curve it continues
CURVE_KEYS = ("model", "data", "curriculum", "seed", "bucket_by_length", "epochs", "max_steps", "lr",
              "lr_schedule", "warmup_ratio", "warmup_steps", "weight_decay", "adam_beta1", "adam_beta2", "adam_eps",
              "max_grad_norm", "zero_stage", "bf16", "optimizer")
SCHEDULES = {"cosine": "cosine", "linear": "linear", "constant": "constant_with_warmup"}


def special_tokens_cover(checkpoint: dict | None, data: dict) -> bool:
    """Whether a checkpoint's special-token ids serve this data: the same splitter, continue and EOS,
    and the data's cache ids the first of the checkpoint's (an AnLLM build's one anchor continues a
    model trained with a 2- or 9-token cache; a covering curriculum tokenizer works the same way)."""
    if not isinstance(checkpoint, dict):
        return False
    same = all(checkpoint.get(key) == data.get(key) for key in set(checkpoint) | set(data) if key != "cache")
    cache = list(data.get("cache", []))
    return same and list(checkpoint.get("cache", []))[:len(cache)] == cache


class Recipe:
    def __init__(self, config: TrainConfig):
        self.cfg = config
        self.step = 0
        self.engine = None
        self.curriculum = None
        self._system_prompts: dict[tuple[str, ...], dict] = {}

    # -- setup ----------------------------------------------------------------------------------
    def setup(self) -> "Recipe":
        from transformers import set_seed

        cfg = self.cfg
        self.ranks = init_distributed()
        world = self.ranks.world_size
        problems = cfg.runtime_problems(world_size=world, cuda=self.ranks.device.type == "cuda")
        if problems:
            raise ConfigError(problems)
        resume_from = self._resume_path()
        self._setup_data()
        self.ds_config = deepspeed_config(cfg, world_size=world, hidden_size=model_config(cfg.model).hidden_size)
        set_seed(cfg.seed)
        loaded = load_model(cfg, self.ds_config)
        self._zero3_context = loaded.zero3_context
        self._prepare_tokens(loaded)
        self.engine = self._initialize(loaded.model)
        if resume_from is not None:
            self._resume(resume_from)
        if self.curriculum is None:
            what, per = f"{self.data.mode} shards, {len(self.dataset)} samples", f"{self.sampler.steps_per_epoch}/epoch"
        else:
            what, per = f"curriculum {cfg.curriculum} ({len(self.curriculum.stages)} stages)", "one LR schedule"
        self.logger.info(f"{world} rank(s), {what}, global batch {self.sampler.global_batch} = "
                         f"{cfg.micro_batch_size} x {self.accumulation} x {world}, {self.total_steps} steps ({per}), "
                         f"ZeRO-{cfg.zero_stage}")
        if self.curriculum is not None:
            for line in describe(self.curriculum, self.sampler.global_batch, total_steps=self.total_steps,
                                 epochs=cfg.epochs):
                self.logger.info(line)
        return self

    def _setup_data(self) -> None:
        from transformers import AutoTokenizer
        from ltdata.loading import Collator, ShardDataset

        cfg, world = self.cfg, self.ranks.world_size
        self.accumulation = cfg.accumulation_steps(world)
        split = dict(micro_batch=cfg.micro_batch_size, accumulation=self.accumulation, world_size=world,
                     rank=self.ranks.rank, bucket_by_length=cfg.bucket_by_length)
        self.logger = TrainLogger(cfg.output_dir, main=self.ranks.main, progress=cfg.progress,
                                  log_every=cfg.log_every)
        if cfg.curriculum is not None:
            self._setup_curriculum(split)
        else:
            data = local_data(cfg.data, self.ranks, progress=cfg.progress)
            self.data = read_data_info(data)
            self.dataset = ShardDataset(data, columns=MODEL_COLUMNS)
            per_epoch = steps_per_epoch(len(self.dataset), cfg.global_batch(world))
            self.total_steps = cfg.max_steps if cfg.max_steps is not None else cfg.epochs * per_epoch
            self.sampler = StepSampler(self.dataset.lengths, seed=cfg.seed, total_steps=self.total_steps, **split)
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.data.tokenizer_dir))
        flex = cfg.attn_implementation == "flex_attention"
        # masks are built where the batch is collated: on the device, unless DataLoader workers collate
        self.collator = Collator(self._pad_id(), mask="block" if flex else "additive",
                                 dtype=torch.bfloat16 if cfg.bf16 else torch.float32,
                                 pad_to_multiple_of=cfg.pad_to_multiple_of,
                                 device=self.ranks.device if cfg.num_workers == 0 else "cpu")

    def _setup_curriculum(self, split: dict) -> None:
        """The stages' plans as one fixed step order over one dataset; the covering build's tokenizer."""
        cfg = self.cfg
        global_batch = cfg.global_batch(self.ranks.world_size)
        run = open_curriculum(cfg.curriculum, global_batch=global_batch, columns=MODEL_COLUMNS)
        self.curriculum, self.data, self.dataset = run, run.data, run.dataset
        self.total_steps = min(run.total_steps, cfg.max_steps or run.total_steps)
        self.sampler = PlanSampler(run.lengths, run.steps[:self.total_steps], **split)

    def _resume_path(self) -> Path | None:
        cfg = self.cfg
        if cfg.resume is not None:
            return resolve_resume(cfg.resume, cfg.output_dir)
        if checkpoints(cfg.output_dir) or latest_checkpoint(cfg.output_dir) is not None:
            raise ConfigError(f"output_dir: {cfg.output_dir} already holds checkpoints; set resume: auto to "
                              f"continue that run, or choose a new output_dir")
        return None

    def _pad_id(self) -> int:
        pad = self.tokenizer.pad_token_id
        return int(pad) if pad is not None else int(self.data.special_tokens["eos"])

    def _prepare_tokens(self, loaded) -> None:
        previous = loaded.from_checkpoint
        if previous is not None:
            if not special_tokens_cover(previous.get("special_tokens"), self.data.special_tokens):
                raise ConfigError(f"model: checkpoint {self.cfg.model} has special tokens "
                                  f"{previous.get('special_tokens')} but the data has {self.data.special_tokens}")
            self.logger.info(f"model is an ltrain checkpoint (stage {previous.get('stage')!r}, step "
                             f"{previous.get('step')}): its new-token rows are kept")
            return
        report = prepare_embeddings(loaded.model, self.tokenizer, self.data.added_tokens,
                                    self.data.token_descriptions)
        self.logger.info(report.summary())

    def _initialize(self, model):
        import deepspeed
        from transformers import get_scheduler

        cfg = self.cfg
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch_optimizer(cfg, params) if cfg.optimizer == "adamw_torch" else None
        warmup = cfg.warmup_steps if cfg.warmup_steps is not None else math.ceil(cfg.warmup_ratio * self.total_steps)

        def schedule(opt):
            return get_scheduler(SCHEDULES[cfg.lr_schedule], opt, num_warmup_steps=warmup,
                                 num_training_steps=self.total_steps)

        engine, *_ = deepspeed.initialize(model=model, optimizer=optimizer, config=self.ds_config,
                                          model_parameters=params if optimizer is None else None,
                                          lr_scheduler=schedule)
        return engine

    def _resume(self, path: Path) -> None:
        saved = read_metadata(path)
        problems = [f"resume: {key} was {saved['config'].get(key)!r} in {path}, is {getattr(self.cfg, key)!r} now"
                    for key in CURVE_KEYS if saved["config"].get(key) != getattr(self.cfg, key)]
        for key, now in (("world_size", self.ranks.world_size), ("global_batch_size", self.sampler.global_batch)):
            if saved.get(key) != now:
                problems.append(f"resume: {key} was {saved.get(key)} in {path}, is {now} now (the DeepSpeed "
                                f"state is partitioned per rank and the data order per global batch)")
        if self.curriculum is not None:
            changed = self.curriculum.changed_files(saved.get("curriculum_files"))
            if changed:
                problems.append(f"resume: the curriculum {self.cfg.curriculum} changed since {path} was saved "
                                f"({', '.join(changed)} differ); resume with the plan it was saved with, or "
                                f"start a new output_dir")
        if problems:
            raise ConfigError(problems)
        self.step = load_state(self.engine, path, ranks=self.ranks)
        stage = self._stage_fields(self.step)
        self.logger.info(f"resumed from {path} at step {self.step} (stage {stage['stage']!r}, its step "
                         f"{stage['stage_step']} of {stage['stage_steps']})")

    # -- training -------------------------------------------------------------------------------
    def train(self) -> list[dict]:
        """Run to the last step; returns the per-step records (also in log.jsonl on rank 0)."""
        cfg, sampler = self.cfg, self.sampler
        sampler.start_step = self.step
        self.logger.begin(total_steps=self.total_steps, start_step=self.step)
        batches = iter(build_loader(self.dataset, sampler, self.collator, num_workers=cfg.num_workers,
                                    pin_memory=self.ranks.device.type == "cuda"))
        records = []
        self.engine.train()
        while self.step < self.total_steps:
            self._announce_stage()
            started = time.perf_counter()
            lr = self.engine.get_lr()[0]
            loss, labels = self._optimizer_step([next(batches) for _ in range(self.accumulation)])
            self.step += 1
            seconds = time.perf_counter() - started
            tokens = sampler.step_tokens(self.step - 1)
            norm = self.engine.get_global_grad_norm()
            record = {"step": self.step, "total_steps": self.total_steps, "epoch": self._epoch(),
                      **self._stage_fields(self.step), "loss": loss, "lr": lr,
                      "grad_norm": None if norm is None else float(norm), "tokens": tokens,
                      "label_tokens": labels, "tokens_per_s": tokens / seconds, "seconds": seconds}
            records.append(record)
            self.logger.step(record)
            if self._save_due():
                self.save_checkpoint()
        self.logger.close()
        return records

    def _optimizer_step(self, micro_batches: list[dict]) -> tuple[float, int]:
        """Forward/backward every micro-batch of one step; returns (mean token loss, label tokens), global."""
        local = sum(int(b["num_label_tokens"]) for b in micro_batches)
        (labels,) = all_reduce_sum([local], self.ranks.device)
        scale = self.ranks.world_size / max(labels, 1.0)
        total = 0.0
        for batch in micro_batches:
            batch = {k: v.to(self.ranks.device) for k, v in batch.items() if k != "num_label_tokens"}
            keep = label_positions(batch["labels"])
            out = self.engine(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                              attention_mask=batch.get("attention_mask"), logits_to_keep=keep, use_cache=False)
            loss = token_loss_sum(out.logits, shifted_targets(batch["labels"], keep), chunk=self.cfg.loss_chunk_tokens)
            self.engine.backward(loss * scale, scale_wrt_gas=False)
            self.engine.step()
            total += float(loss.detach())
        (total,) = all_reduce_sum([total], self.ranks.device)
        return total / max(labels, 1.0), int(labels)

    def _epoch(self) -> float | None:
        """Passes over the data; None for a curriculum (its records count steps within the stage)."""
        return None if self.curriculum is not None else self.step / self.sampler.steps_per_epoch

    def _stage_fields(self, step: int) -> dict:
        """The stage of the step that brought the run to `step` steps, and that step's place in it."""
        if self.curriculum is None:
            return {"stage": self.cfg.stage, "stage_index": 0, "stage_step": step, "stage_steps": self.total_steps}
        return self.curriculum.position(step)

    def _announce_stage(self) -> None:
        if self.curriculum is None:
            return
        stage, count = self.curriculum.stage_at(self.step), len(self.curriculum.stages)
        if self.step == stage.first_step or self.step == self.sampler.start_step:
            self.logger.info(f"stage {stage.index + 1}/{count} {stage.name!r} ({stage.data.mode}): its step "
                             f"{self.step - stage.first_step + 1} of {stage.steps}")

    def _save_due(self) -> bool:
        cfg, step = self.cfg, self.step
        if step == self.total_steps or (cfg.save_every_steps is not None and step % cfg.save_every_steps == 0):
            return True
        if cfg.save_every_epochs is None:
            return False
        if self.curriculum is None:
            return step % (cfg.save_every_epochs * self.sampler.steps_per_epoch) == 0
        stage = self.curriculum.stage_at(step - 1)
        return step == stage.end and (stage.index + 1) % cfg.save_every_epochs == 0

    # -- checkpoints ----------------------------------------------------------------------------
    def metadata(self) -> dict:
        """ltrain.json (the Checkpoints contract)."""
        from ltrain import __version__

        run = self.curriculum
        d = self.data if run is None else run.stage_at(max(self.step - 1, 0)).data
        return {"special_tokens": d.special_tokens, "mode": d.mode, "cache_tokens": d.cache_tokens,
                "template": d.template, **self._system_prompt(d), "see_current": d.see_current,
                "config": self.cfg.to_dict(),
                **self._stage_fields(self.step), "step": self.step, "epoch": self._epoch(),
                "curriculum": self.cfg.curriculum, "curriculum_files": None if run is None else run.files,
                "world_size": self.ranks.world_size, "global_batch_size": self.sampler.global_batch,
                "tokenizer_hash": self.data.tokenizer_hash, "ltrain_version": __version__}

    def _system_prompt(self, data) -> dict:
        """ltrain.json's `system_prompt`: the system turn of the data's prompts (once per data)."""
        key = tuple(data.paths)
        if key not in self._system_prompts:
            self._system_prompts[key] = training_system_prompt(data.paths, self.tokenizer, data.template)
        return self._system_prompts[key]

    def save_checkpoint(self) -> Path:
        """Save step-NNNNNN/ under output_dir (every rank must call this)."""
        path = save_checkpoint(self.engine, step_dir(self.cfg.output_dir, self.step), ranks=self.ranks,
                               metadata=self.metadata(), tokenizer_dir=self.data.tokenizer_dir,
                               with_state=self.cfg.save_optimizer_state, keep_last=self.cfg.keep_last)
        self.logger.info(f"saved {path}")
        return path

    def close(self) -> None:
        """Free the engine and the ZeRO-3 context (also after a failed setup), so one process can run
        several recipes."""
        from transformers.integrations.deepspeed import unset_hf_deepspeed_config

        if self.engine is not None and hasattr(self.engine, "destroy"):
            self.engine.destroy()
        self.engine = None
        if getattr(self, "_zero3_context", None) is not None:
            unset_hf_deepspeed_config()
            self._zero3_context = None
        if hasattr(self, "logger"):
            self.logger.close()


def train(config: TrainConfig) -> list[dict]:
    """setup + train + close: the whole run."""
    recipe = Recipe(config)
    try:
        return recipe.setup().train()
    finally:
        recipe.close()
