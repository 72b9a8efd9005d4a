"""Feeding trainers: memory-mapped datasets over ltdata shards, a collator that builds the mask, bucketing, packing.

    ds = ShardDataset("out")                                    # one or many build directories
    loader = DataLoader(ds, batch_sampler=LengthBucketSampler(ds.lengths, max_tokens=16384),
                        collate_fn=Collator(pad_token_id=0))    # input_ids, labels, position_ids, attention_mask
    packed = PackedDataset(ds, max_tokens=4096)                 # several samples per row, same training signal
"""
from ltdata.loading.collate import Collator, pad_rows
from ltdata.loading.dataset import ShardDataset, ShardIterableDataset
from ltdata.loading.hf import hf_dataset
from ltdata.loading.packing import PackedDataset, pack_rows, padding_fraction, plan_packs
from ltdata.loading.sampler import LengthBucketSampler

__all__ = ["Collator", "LengthBucketSampler", "PackedDataset", "ShardDataset", "ShardIterableDataset",
           "hf_dataset", "pack_rows", "pad_rows", "padding_fraction", "plan_packs"]
