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


# The KITTI converter drops a box whose top-left corner is not above and left of its bottom-right
# and says so per object: "Top left coordinate must be less than bottom right.Error in object 0 of
# label_file /data/labels/img_0042.txt. Coordinates: x1 = 739, x2 = 478, y1: 120, y2: 200", then
# "Skipping this object" (reference/tao-pitfalls.md row S4, kitti_converter_lib.py). The objects are
# missing from the tfrecords without an error: a silent cause of low mAP.
_SKIPPED_OBJECT = re.compile(r"Error in object (\d+) of label_file (.+?)\.?(?:\s|$)")
_SKIPPED_NAMED = 3  # files named in the warning


def skipped_objects_event(count: int, files: list[str]) -> ProgressEvent:
    """The warning for ``count`` objects dropped by dataset_convert; ``files``: the first few
    label files named (in order of appearance)."""
    named = ", ".join(files[:_SKIPPED_NAMED])
    more = " and others" if len(files) > _SKIPPED_NAMED else ""
    return ProgressEvent(
        "warning",
        kpi={"skipped_objects": float(count), "files_with_skipped_objects": float(len(files))},
        message=(
            f"dataset_convert skipped {count} object{'s' if count != 1 else ''} whose top-left corner "
            f"is not above and left of the bottom-right (x1 >= x2 or y1 >= y2), in {named}{more}: "
            "they are not in the tfrecords, which lowers mAP without an error"
        ),
        fix=(
            "Fix those label lines: KITTI boxes are x1 y1 x2 y2 = left top right bottom in pixels "
            "(fields 5-8); boxes written as x, y, width, height look like this. Then run "
            "dataset_convert again."
        ),
    )
