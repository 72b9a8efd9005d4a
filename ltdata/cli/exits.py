"""How the `ltdata` and `ltrain` commands end, written once for both.

An error the user can fix prints as one line (`PROG: error: ...`) and the exit code says what to
fix: 2 the configuration (flags, recipes, plugins), 1 the data. Tracebacks are for bugs only.
"""
from __future__ import annotations

import sys
from typing import Callable

from ltdata.errors import ConfigError, LtdataError, PluginError

CONFIG_ERROR = 2
DATA_ERROR = 1
INTERRUPTED = 130


def run_command(prog: str, command: Callable[[], int], *, interrupted: str = "interrupted") -> int:
    """`command()`'s exit code, or the code of the error it raised (its message printed as one line)."""
    try:
        return int(command())
    except (ConfigError, PluginError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return CONFIG_ERROR
    except LtdataError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return DATA_ERROR
    except KeyboardInterrupt:
        print(f"{prog}: {interrupted}", file=sys.stderr)
        return INTERRUPTED
