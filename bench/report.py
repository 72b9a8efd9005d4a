"""What the benchmarks share: a stopwatch for wall and CPU time, and the table they print.

The table is figure, value, target, PASS/MISS, so a run can be read (and pasted) at a glance.
"""
from __future__ import annotations

import resource
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: str
    target: str
    passed: bool | None     # None = a measurement with no target of its own


def print_table(figures: list[Figure]) -> None:
    width = max(len(f.name) for f in figures)
    value_width = max(len(f.value) for f in figures)
    print(f"{'figure':<{width}}  {'value':>{value_width}}  {'target':<8}  result")
    for f in figures:
        verdict = "" if f.passed is None else ("PASS" if f.passed else "MISS")
        print(f"{f.name:<{width}}  {f.value:>{value_width}}  {f.target:<8}  {verdict}")


@dataclass(frozen=True, slots=True)
class Timing:
    wall: float     # seconds
    cpu: float      # CPU seconds of this process and of its children that finished meanwhile


class Stopwatch:
    """Wall and CPU time of a block; CPU counts worker processes too, once they have exited.

    On a machine shared with other jobs the CPU figure is the fair per-core one: it does not grow
    when another process takes the core away, while the wall figure does.
    """

    def __enter__(self) -> "Stopwatch":
        self._start = (time.perf_counter(), _cpu_seconds())
        return self

    def __exit__(self, *exc) -> None:
        self.timing = Timing(wall=time.perf_counter() - self._start[0], cpu=_cpu_seconds() - self._start[1])


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
