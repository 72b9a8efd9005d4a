"""make_splitter / split_checked / available_splitters: built-ins, import paths, entry points, errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from ltdata.errors import ConfigError, PluginError
from ltdata.splitters import (BUILTIN_SPLITTERS, Splitter, available_splitters, make_splitter,
                              split_checked)
from ltdata.splitters.balanced import BalancedSplitter
from ltdata.splitters.sentence import SentenceSplitter
from ltdata.splitters.thought import ThoughtSplitter
from ltdata.splitters.tokens import TokenWindowSplitter

HERE = Path(__file__).resolve().parent
PLUGIN = "ltdata_splitter_plugin"


@pytest.fixture
def plugin_path(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))


@pytest.fixture
def entry_points(monkeypatch, tmp_path, plugin_path):
    """Install (on sys.path) a distribution declaring two `ltdata.splitters` entry points, one broken."""
    dist = tmp_path / "ltdata_fake_splitters-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ltdata-fake-splitters\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[ltdata.splitters]\nwords = {PLUGIN}:Words\nbroken = ltdata_no_such_module:Thing\n")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_builtins():
    assert BUILTIN_SPLITTERS == {"thought": ThoughtSplitter, "sentence": SentenceSplitter,
                                 "tokens": TokenWindowSplitter, "balanced": BalancedSplitter}
    splitter = make_splitter("thought", {"min_chars": 5, "max_chars": 100})
    assert splitter == ThoughtSplitter(min_chars=5, max_chars=100) and isinstance(splitter, Splitter)
    assert make_splitter("sentence", None) == SentenceSplitter()


def test_tokenizer_goes_only_to_splitters_that_take_it(qwen):
    assert make_splitter("thought", {}, tokenizer=qwen) == ThoughtSplitter()
    windows = make_splitter("tokens", {"tokens": 2}, tokenizer=qwen)
    assert windows.tokenizer is qwen and windows.split("one two three") == [(0, 7), (7, 13)]
    with pytest.raises(ConfigError, match=r"^splitter 'tokens': needs the build's tokenizer"):
        make_splitter("tokens")


@pytest.mark.parametrize("spec, options, message", [
    ("paragraph", {}, "splitter: unknown splitter 'paragraph'; choose from thought, sentence, tokens, balanced, "
                      "or give an import path 'package.module:Class'"),
    ("thought", {"max_char": 10}, "splitter_options.max_char: not an option of splitter 'thought' "
                                  "(valid: max_chars, min_chars)"),
    ("tokens", {"tokenizer": "Qwen/Qwen2.5-0.5B"}, "splitter_options.tokenizer: not an option of splitter "
                                                   "'tokens' (valid: tokens)"),
    ("sentence", {"min_chars": -1}, "splitter_options.min_chars: must be a positive integer or None (off), got -1"),
])
def test_config_errors(spec, options, message):
    with pytest.raises(ConfigError) as caught:
        make_splitter(spec, options)
    assert str(caught.value) == message


def test_import_path(plugin_path, qwen):
    splitter = make_splitter(f"{PLUGIN}:Words", {"words": 2})
    assert split_checked(splitter, "  one two three", name=f"{PLUGIN}:Words") == [(0, 10), (10, 15)]
    assert make_splitter(f"{PLUGIN}:words_factory", {"words": 3}).split("a b c d") == [(0, 6), (6, 7)]
    assert make_splitter(f"{PLUGIN}:WithTokenizer", tokenizer=qwen).tokenizer is qwen


@pytest.mark.parametrize("spec, message", [
    ("ltdata_no_such_module:Thing",
     "splitter 'ltdata_no_such_module:Thing': cannot import module 'ltdata_no_such_module': "
     "ModuleNotFoundError: No module named 'ltdata_no_such_module'"),
    (f"{PLUGIN}:Missing", f"splitter '{PLUGIN}:Missing': module '{PLUGIN}' has no attribute 'Missing'"),
    (f"{PLUGIN}:", f"splitter '{PLUGIN}:': expected an import path of the form 'package.module:Class'"),
    (f"{PLUGIN}:NoSplit", f"splitter '{PLUGIN}:NoSplit': class 'NoSplit' has no split(text) method"),
    (f"{PLUGIN}:NOT_CALLABLE", f"splitter '{PLUGIN}:NOT_CALLABLE' is not a class or factory (got int)"),
    (f"{PLUGIN}:FailsToConstruct",
     f"splitter '{PLUGIN}:FailsToConstruct': constructing it failed: RuntimeError: cannot start"),
])
def test_plugin_errors(plugin_path, spec, message):
    with pytest.raises(PluginError) as caught:
        make_splitter(spec)
    assert str(caught.value) == message


def test_unknown_plugin_option_lists_the_valid_ones(plugin_path):
    with pytest.raises(ConfigError, match=r"^splitter_options.word: not an option of splitter "
                                          r"'ltdata_splitter_plugin:Words' \(valid: words\)$"):
        make_splitter(f"{PLUGIN}:Words", {"word": 2})


@pytest.mark.parametrize("cls, message", [
    ("Gappy", "splitter 'ltdata_splitter_plugin:Gappy' returned spans that do not tile the text: span 1 is "
              "(3, 9) but must start at 2 and be non-empty"),
    ("Crashes", "splitter 'ltdata_splitter_plugin:Crashes' failed on a text of 9 characters: KeyError: 'boom'"),
    ("ReturnsNone", "splitter 'ltdata_splitter_plugin:ReturnsNone' failed on a text of 9 characters: "
                    "TypeError: 'NoneType' object is not iterable"),
])
def test_split_checked_names_the_plugin(plugin_path, cls, message):
    splitter = make_splitter(f"{PLUGIN}:{cls}")
    with pytest.raises(PluginError) as caught:
        split_checked(splitter, "some text", name=f"{PLUGIN}:{cls}")
    assert str(caught.value) == message


def test_split_checked_passes_builtins_through():
    assert split_checked(ThoughtSplitter(), "A.\n\nB.", name="thought") == [(0, 4), (4, 6)]


def test_entry_points(entry_points):
    assert make_splitter("words", {"words": 2}).split("a b c") == [(0, 4), (4, 5)]
    with pytest.raises(PluginError, match=r"^splitter 'broken' \(entry point 'ltdata_no_such_module:Thing'\) "
                                          r"cannot be loaded: ModuleNotFoundError"):
        make_splitter("broken")
    with pytest.raises(ConfigError, match=r"choose from thought, sentence, tokens, balanced, broken, words, or give"):
        make_splitter("nope")
    table = available_splitters()
    assert list(table)[:4] == ["thought", "sentence", "tokens", "balanced"]
    assert table["words"] == "N words per thought (with their trailing whitespace); leading whitespace joins the first."
    assert table["broken"].startswith("(cannot be loaded: splitter 'broken' (entry point")


def test_available_builtins_describe_themselves():
    table = available_splitters()
    assert table["thought"] == ("Blank-line paragraphs (the paper's thoughts); the blank lines stay with the "
                                "thought they end.")
    assert table["sentence"].startswith("spaCy sentences")
    assert table["tokens"].startswith("Windows of N tokens")
    assert table["balanced"].startswith("Paragraph and sentence ends chosen by dynamic programming")
