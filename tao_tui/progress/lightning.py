"""PyTorch Lightning / tqdm progress bars: ``Epoch 3:  45%|####5  | 120/266 [01:02<01:13, 1.95it/s,
loss=0.41, val_mAP=0.5]``, possibly cut at the terminal width with the next line glued on."""

from __future__ import annotations

import re

from tao_tui.progress.events import _DURATION_CACHE, _NUM, ProgressEvent, _num, parse_duration
from tao_tui.progress.gate import _clean
from tao_tui.progress.metrics import _map_from_kpi

_BAR = re.compile(
    r"Epoch (\d+):\s*(\d+)%\|[^|]*\|\s*(\d+)/(\d+)\s*\[([\d:]+)<([\d:]+|\?),\s*([\d.]+|\?)\s*(it/s|s/it)([^\]]*)(\]?)"
)
_POSTFIX_LOSS = re.compile(r"[ ,](?:train_)?loss(?:_step)?=([^,]+),")
_POSTFIX_LR = re.compile(r"[ ,](?:lr(?:-\w+)?|learning_rate)=([^,]+),")
_GLUED = re.compile(r"(?<=[\w.])(?=[A-Z][a-z]+(?:\s|$))")
_TQDM_END = re.compile(r"(?:it/s|s/it|it)(?:, [^\]]*)?\]")
_POSTFIX_VAL = re.compile(rf"\b(val_\w+)=({_NUM}|nan)")
_TQDM_END_SEARCH = _TQDM_END.search


def _parse_postfix(postfix: str, closed: str) -> tuple[str, float | None, float | None, str | None]:
    """A bar's postfix (``, loss=0.41, lr=0.01, v_num=0``) -> (the complete items, each followed
    by a comma; loss; learning rate; the next line glued to a bar cut at the terminal width)."""
    loss = lr = glued = None
    if not closed:
        # cut off at the terminal width: the last item is incomplete, and the next
        # line may be glued to it ("recall=0.3Training loop in progress")
        cut = postfix.rfind(",")
        g = _GLUED.search(postfix, cut + 1)
        if g is not None:
            glued = postfix[g.start() :]
        postfix = postfix[: max(cut, 0)] + ","
    else:
        postfix += ","
    if "loss" in postfix:
        pm = _POSTFIX_LOSS.search(postfix)
        if pm is not None:
            loss = _num(pm.group(1))
    if "lr" in postfix or "learning_rate" in postfix:
        pm = _POSTFIX_LR.search(postfix)
        if pm is not None:
            lr = _num(pm.group(1))
    return postfix, loss, lr, glued


class LightningMixin:
    """``ProgressParser`` methods for tqdm bars."""

    def _bar(self, line: str, events: list[ProgressEvent], depth: int) -> bool:
        m = _BAR.search(line)
        if m is not None:
            g_epoch, _pct, g_step, g_total, _elapsed, g_eta, rate_text, unit, postfix, closed = m.groups()
            epoch, step, total = int(g_epoch), int(g_step), int(g_total)
            rate = None
            if rate_text != "?":
                value = float(rate_text)
                rate = value if unit == "it/s" else (1.0 / value if value > 0 else None)
            loss = lr = glued = None
            if postfix:
                # Lightning prints the same postfix ("loss=2.29, v_num=0") on bar after bar (the
                # logged values change at logging intervals, not every step): parse it once
                memo = self._bar_postfix
                if memo[0] == postfix and memo[1] == closed:
                    postfix, loss, lr, glued = memo[2]
                else:
                    parsed = _parse_postfix(postfix, closed)
                    self._bar_postfix = (postfix, closed, parsed)
                    postfix, loss, lr, glued = parsed
                if "val_" in postfix:  # Lightning logs validation metrics on the bar: new values only
                    val = {k: v for k, t in _POSTFIX_VAL.findall(postfix) if (v := _num(t)) is not None}
                    if val and val != self._bar_val:
                        self._bar_val = val
                        events.append(
                            ProgressEvent(
                                "kpi",
                                epoch=epoch,
                                kpi=val,
                                map=_map_from_kpi(val),
                                message="validation: " + ", ".join(f"{k} {v:g}" for k, v in val.items()),
                            )
                        )
            max_epoch = self._max_epoch_hint
            if epoch - 1 > self._bar_epoch_done:
                # a new epoch started: the previous ones are complete
                self._bar_epoch_done = epoch - 1
                events.append(ProgressEvent("epoch", epoch, max_epoch))
            key = (epoch, step, total)
            if key != self._last_step:
                self._last_step = key
                self._done = False
                try:
                    eta = _DURATION_CACHE[g_eta]
                except KeyError:
                    eta = parse_duration(g_eta)
                # positional (kind, epoch, max_epoch, step, max_step, loss, learning_rate, map,
                # eta_s, ap, message, fix, rate): a third of the cost of keyword arguments
                events.append(
                    ProgressEvent(
                        "step", epoch, max_epoch, step, total, loss, lr, None, eta, None, None, None, rate
                    )
                )
            if total and step >= total and epoch > self._bar_epoch_done:
                self._bar_epoch_done = epoch
                events.append(
                    ProgressEvent("epoch", epoch=epoch + 1, max_epoch=self._max_epoch_hint, loss=loss)
                )
            rest = line[m.end() :] if closed else glued
            if rest and len(rest) > 5:
                rest = _clean(rest)
                if rest.strip():
                    self._handle(rest, events, depth + 1)
            return True
        # other tqdm bars (Validation DataLoader, test model, Matching predictions): not training
        # steps, but a line may be glued after them
        m = _TQDM_END.search(line)
        if m is not None and ("%|" in line or "it [" in line):
            rest = line[m.end() :]
            if rest.strip():
                self._handle(rest, events, depth + 1)
            return True
        return False
