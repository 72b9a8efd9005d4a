"""Training on ltdata shards with DeepSpeed: config -> recipe (setup, train, save_checkpoint) -> checkpoints.

    from ltrain.train import TrainConfig, train
    records = train(TrainConfig.from_yaml("tiny", data=["out/tiny"]))   # one dict per optimizer step
    records = train(TrainConfig.from_yaml("tiny", curriculum="out/curriculum-warmup"))   # its stages in order

Modules: config (TrainConfig), recipe (Recipe, train), model / embeddings (loading, new-token rows),
data (the step samplers), curriculum (a built curriculum's stages as steps), loss, ds_config,
checkpoint, progress (logging), plan (memory per GPU).
Heavy imports (torch, deepspeed) wait until `Recipe` or `make_plan` is used.
"""
from ltrain.train.config import TrainConfig

__all__ = ["Recipe", "TrainConfig", "make_plan", "train"]


def __getattr__(name: str):
    if name in ("Recipe", "train"):
        from ltrain.train import recipe

        return getattr(recipe, name)
    if name == "make_plan":
        from ltrain.train.plan import make_plan

        return make_plan
    raise AttributeError(f"module 'ltrain.train' has no attribute {name!r}")
