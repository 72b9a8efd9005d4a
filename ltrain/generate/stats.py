"""Per-sample generation metrics, measured on the cache as tokens are fed (never estimated afterwards).

peak_tokens: the most KV entries a sample held, counted right after a feed is appended and before
anything is evicted (the prompt, LightThinker's temporary cache/continue tokens included).
dep: the sum, over the tokens the model emitted and that were fed back, of the entries each one's
query attended to, itself included (the rows of the mask actually passed). The final EOS is
predicted but never fed, so it adds nothing, as in `ltdata.metrics`.
seconds: the sample's share of the decode's wall time: each step's time split equally over the rows
decoded in it, so alone it is the sample's wall time and over a batch the shares sum to the batch's.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class GenerationStats:
    peak_tokens: int
    dep: int
    compressions: int
    output_tokens: int
    seconds: float

    @property
    def tokens_per_second(self) -> float:
        return self.output_tokens / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class Meter:
    """The running counters of one sample."""

    peak_tokens: int = 0
    dep: int = 0
    compressions: int = 0
    output_tokens: int = 0
    seconds: float = 0.0

    def observe(self, *, held: int, attended: int, compressed: bool) -> None:
        self.peak_tokens = max(self.peak_tokens, held)
        self.dep += attended
        self.compressions += int(compressed)

    def result(self) -> GenerationStats:
        return GenerationStats(peak_tokens=self.peak_tokens, dep=self.dep, compressions=self.compressions,
                               output_tokens=self.output_tokens, seconds=self.seconds)
