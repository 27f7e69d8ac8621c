"""``tao-tui progress FILE [--json]``: a TAO console log or status.json -> progress events."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tao_tui.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a TAO console log (or tao-tui run log) or a status.json file")
    parser.add_argument("--json", action="store_true", help="one JSON object per event (JSON Lines)")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--status", action="store_true", help="read FILE as status.json (default: detect)")
    kind.add_argument("--log", action="store_true", help="read FILE as console output (default: detect)")
    parser.add_argument(
        "--summary",
        action="store_true",
        help="end with one line: epoch, step, loss, mAP, ETA and whether the log says the stage ended",
    )


def run(args: argparse.Namespace) -> int:
    from tao_tui.progress import ProgressState, format_event, parse_lines

    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"{path}: no such file", "give the path of a TAO log or a status.json file")
    status: bool | None = True if args.status or path.name == "status.json" else None
    if args.log:
        status = False
    state = ProgressState()
    out = sys.stdout
    try:
        with open(path, encoding="utf-8", errors="replace", newline="\n") as f:
            for event in parse_lines(f, status):
                state.apply(event)
                if args.json:
                    out.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
                else:
                    out.write(format_event(event) + "\n")
        if args.summary:
            out.write(_summary(state) + "\n")
        out.flush()
    except BrokenPipeError:  # `tao-tui progress log | head`
        sys.stderr.close()
        return 0
    except OSError as err:
        raise UserError(
            f"{path}: cannot read ({err.strerror})", "check the path and its permissions"
        ) from err
    return 0


def _summary(state) -> str:
    """The line ``tao-tui status`` and the wizard show (``ProgressState.summary``), then how the
    log ends: a log alone cannot say the run finished (only the container's exit can)."""
    parts = [p for p in (state.summary(),) if p]
    fraction = state.fraction
    if fraction is not None:
        parts.append(f"{fraction:.0%}")
    if state.error is not None:
        parts.append("failed: the log shows an error")
    elif state.done:
        parts.append(f"ended: {state.done_message}" if state.done_message else "ended")
    else:
        parts.append("no end in the log")
    return "summary   " + "  ".join(parts)
