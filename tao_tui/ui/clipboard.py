"""Will an OSC 52 clipboard write reach the user's clipboard? Inside tmux only when tmux's
``set-clipboard`` is ``on`` (its default ``external`` keeps applications' OSC 52 to itself;
tmux(1), OPTIONS); GNU screen passes none without its own wrapping."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping


def _tmux_set_clipboard(run: Callable) -> str | None:
    try:
        proc = run(["tmux", "show", "-gv", "set-clipboard"], capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def clipboard_problem(env: Mapping[str, str] | None = None, run: Callable = subprocess.run) -> str | None:
    """Why the copy may not arrive, with the fix; None when nothing stands in the way that we can
    see (the terminal itself may still ignore OSC 52: most current ones accept it)."""
    env = os.environ if env is None else env
    if env.get("TMUX"):
        value = _tmux_set_clipboard(run)
        if value == "on":
            return None
        shown = f"set-clipboard is {value}" if value else "tmux's set-clipboard could not be read"
        return (f"Inside tmux ({shown}), the copy may not reach your clipboard. "
                "Fix: `tmux set -g set-clipboard on` (and add it to ~/.tmux.conf).")
    if env.get("STY"):
        return ("Inside GNU screen, the copy may not reach your clipboard (screen does not pass OSC 52 on). "
                "Select the command below instead.")
    return None
