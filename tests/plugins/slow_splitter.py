"""A user splitter plugin that sleeps per record (set LTDATA_SLOW_SPLITTER_DELAY), so a test can kill a build mid-run."""
import os
import time

from ltdata.splitters.thought import ThoughtSplitter


class SlowThoughtSplitter(ThoughtSplitter):
    def split(self, text):
        time.sleep(float(os.environ.get("LTDATA_SLOW_SPLITTER_DELAY", "0")))
        return super().split(text)
