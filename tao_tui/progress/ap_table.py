"""TF1 detectors' AP table (yolo_v3/v4/v4_tiny, ssd, dssd, retinanet): ``Start to calculate AP for
each class``, a rule, ``<class> AP <value>`` rows, ``mAP <value>``, a rule."""

from __future__ import annotations

import re

from tao_tui.progress.events import _NUM

_AP_ROW = re.compile(rf"(\S+)\s+AP\s+({_NUM})$")
_MAP_ROW = re.compile(rf"mAP\s+({_NUM})$")
