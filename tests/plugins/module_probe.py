"""A `thought` splitter that notes, once per process, whether transformers or torch was imported by then.

Set LTDATA_MODULE_PROBE to a file: each process that splits appends one JSON line to it.
"""
import json
import os
import sys

from ltdata.splitters.thought import ThoughtSplitter

_noted = False


class ModuleProbe(ThoughtSplitter):
    def split(self, text):
        global _noted
        if not _noted:
            with open(os.environ["LTDATA_MODULE_PROBE"], "a", encoding="utf-8") as f:
                f.write(json.dumps({"pid": os.getpid(), "transformers": "transformers" in sys.modules,
                                    "torch": "torch" in sys.modules}) + "\n")
            _noted = True
        return super().split(text)
