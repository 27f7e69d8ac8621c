"""dataset_convert output: partitions/shards, image counts, the class map and objects per class."""

from __future__ import annotations

import re

from tao_tui.progress.events import ProgressEvent

_PARTITION = re.compile(r"Writing partition (\d+), shard (\d+)")
_NUM_IMAGES = re.compile(r"Train:\s*(\d+)\s+Val:\s*(\d+)")
_CLASS_PAIR = re.compile(r"""^\s*(b?'[^']*'|b?"[^"]*"|[^:\s][^:]*?)\s*:\s*(b?'[^']*'|b?"[^"]*"|\S.*?)\s*$""")
_COUNT_PAIR = re.compile(r"""^\s*(b?'[^']*'|b?"[^"]*"|[^:\s][^:]*?)\s*:\s*(\d+)\s*$""")


class DatasetConvertMixin:
    """``ProgressParser`` methods for dataset_convert blocks."""

    def _num_images(self, m: re.Match, events: list[ProgressEvent]) -> None:
        train, val = int(m.group(1)), int(m.group(2))
        events.append(
            ProgressEvent(
                "info",
                kpi={"num_images_train": float(train), "num_images_val": float(val)},
                message=f"Images: {train} train, {val} validation",
            )
        )

    # validation table
