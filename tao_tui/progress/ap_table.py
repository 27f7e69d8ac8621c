"""TF1 detectors' AP table (yolo_v3/v4/v4_tiny, ssd, dssd, retinanet): ``Start to calculate AP for
each class``, a rule of ``*``, one row per class, the ``mAP`` row, a rule, then (training)
``Validation loss: <value>``.

TAO prints each row as ``'{:<14}{:<6}{}'.format(name, 'AP', value)``: the class name is
left-aligned in a 14-character column, so a name of 14 characters or more runs straight into "AP"
(``electric_bicycleAP    0.66367``, seen in users' yolo_v4_tiny logs). The row rule therefore takes
everything before the last ``AP <number>`` as the name, with or without space before "AP".
"""

from __future__ import annotations

import re

from tao_tui.progress.events import _NUM

_AP_ROW = re.compile(rf"^(\S.*?)\s*AP\s+({_NUM}|nan)$")
_MAP_ROW = re.compile(rf"^mAP\s+({_NUM}|nan)$")
_VAL_LOSS = re.compile(rf"Validation loss:?\s*({_NUM}|nan)")
