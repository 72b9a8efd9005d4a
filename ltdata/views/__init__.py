"""Human views of a finished build: one sample (`explain`) and the whole build (`stats`).

Both read only what a build wrote (manifest, tokenizer, shards), so they show what a trainer will see.
"""
