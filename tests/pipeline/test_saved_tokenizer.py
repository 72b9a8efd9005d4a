"""The driver's tokenizer store: a tokenizer prepared once (with transformers) is reused, and never wrongly.

The key covers the tokenizer directory's files and the options that shape the saved tokenizer; a damaged
entry is prepared again; a source that cannot be stored is saved into the build's scratch directory.
"""
from __future__ import annotations

import os

from ltdata.config import BuildConfig
from ltdata.pipeline.saved import FACTS, saved_tokenizer, store_key, store_root


def test_the_store_is_reused_and_keyed_by_the_tokenizer_files_and_options(qwen_tokenizer_path, tokenizer_store):
    cfg = BuildConfig(tokenizer=qwen_tokenizer_path)
    first = saved_tokenizer(cfg, scratch=tokenizer_store / "scratch")
    assert first.directory.parent.parent == store_root() and (first.directory.parent / FACTS).is_file()
    assert saved_tokenizer(cfg, scratch=tokenizer_store / "scratch") == first
    assert store_key(cfg.replace(mode="vanilla", max_length=None, system_prompt="S")) == store_key(cfg)
    assert store_key(cfg.replace(mode="anllm")) != store_key(cfg)
    assert store_key(cfg.replace(cache_tokens=4)) != store_key(cfg)
    assert store_key(cfg.replace(template="plain")) != store_key(cfg)
    assert store_key(cfg.replace(tokenizer=str(first.directory))) != store_key(cfg)


def test_an_edited_tokenizer_directory_is_a_new_entry(qwen_tokenizer_path, tokenizer_store):
    import shutil

    mine = tokenizer_store / "mine"
    shutil.copytree(qwen_tokenizer_path, mine)
    before = store_key(BuildConfig(tokenizer=str(mine)))
    config = mine / "tokenizer_config.json"
    config.write_text(config.read_text() + "\n")
    assert store_key(BuildConfig(tokenizer=str(mine))) != before


def test_a_damaged_entry_is_prepared_again(qwen_tokenizer_path, tokenizer_store):
    cfg = BuildConfig(tokenizer=qwen_tokenizer_path)
    first = saved_tokenizer(cfg, scratch=tokenizer_store / "scratch")
    (first.directory / "tokenizer.json").unlink()
    again = saved_tokenizer(cfg, scratch=tokenizer_store / "scratch")
    assert again == first and (again.directory / "tokenizer.json").is_file()


def test_a_hub_id_or_an_unwritable_store_is_saved_into_the_scratch_directory(qwen_tokenizer_path, tokenizer_store,
                                                                          monkeypatch):
    assert store_key(BuildConfig(tokenizer="Qwen/Qwen2.5-7B-Instruct")) is None
    monkeypatch.setenv("LTDATA_CACHE", "/proc/ltdata-cannot-write-here")
    saved = saved_tokenizer(BuildConfig(tokenizer=qwen_tokenizer_path), scratch=tokenizer_store / "scratch")
    assert saved.directory == tokenizer_store / "scratch" and saved.rust
    assert (tokenizer_store / "scratch" / "tokenizer.json").is_file() and not os.path.exists("/proc/ltdata-cannot-write-here")


def test_the_environment_that_save_pretrained_records_is_part_of_the_key(qwen_tokenizer_path, tokenizer_store, monkeypatch):
    """tokenizer_config.json records local_files_only (HF_HUB_OFFLINE): a stored copy must not change it."""
    cfg = BuildConfig(tokenizer=qwen_tokenizer_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = saved_tokenizer(cfg, scratch=tokenizer_store / "scratch")
    assert '"local_files_only": true' in (offline.directory / "tokenizer_config.json").read_text()
    keys = {store_key(cfg)}
    for name, value in (("HF_HUB_OFFLINE", "0"), ("TRANSFORMERS_OFFLINE", "1")):
        monkeypatch.setenv(name, value)
        keys.add(store_key(cfg))
    monkeypatch.delenv("HF_HUB_OFFLINE")
    keys.add(store_key(cfg))
    assert len(keys) == 4
