"""The follower lock: one process at a time appends a container's log to a given run log file."""

from __future__ import annotations

import errno
import fcntl

from tao_tui.runtime.errors import FollowerBusy


def lock_or_raise(fd: int, path: str) -> None:
    """Take an exclusive non-blocking ``flock`` on ``fd`` (the open log file) or raise ``FollowerBusy``."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise FollowerBusy(
                f"another tao-tui process is already writing {path}",
                fix="read the file instead (it is kept up to date), or stop the other tao-tui",
            ) from err
        raise
