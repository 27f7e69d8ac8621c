"""One family of errors the user can act on.

Every error carries *what* is wrong and *how to fix it*. The CLI and the UI show
them the same way (``str(err)``); a traceback means a bug in tao-tui, never a
user mistake.
"""

from __future__ import annotations


class TaoTuiError(Exception):
    """An error the user can fix. ``exit_code``: 1 = user input, 2 = environment."""

    exit_code = 1

    def __init__(self, message: str, fix: str | None = None, *, field: str | None = None):
        self.message = message
        self.fix = fix
        self.field = field
        super().__init__(self.render())

    def render(self) -> str:
        text = self.message
        if self.field and not self.message.startswith(self.field):
            text = f"{self.field}: {text}"
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class UserError(TaoTuiError):
    """Bad input from the user (a flag, a value, a file)."""


class SpecParseError(UserError):
    """A spec file that does not parse; always located as file:line:column."""

    def __init__(self, file: str, line: int, column: int, message: str, fix: str | None = None):
        self.file, self.line, self.column = file, line, column
        super().__init__(f"{file}:{line}:{column}: {message}", fix)


class ValidationError(UserError):
    """A value that breaks a rule: names the field, the rule and the fix."""

    def __init__(self, field: str, rule: str, fix: str):
        self.rule = rule
        super().__init__(rule, fix, field=field)


class LockedParamError(UserError):
    """An attempt to change a parameter that stays at NVIDIA's default."""


class EnvironmentProblem(TaoTuiError):
    """The machine is not ready: engine down, no GPU runtime, image missing, disk full…"""

    exit_code = 2


def from_os_error(err: OSError, doing: str | None = None, *, after: str | None = None) -> TaoTuiError:
    """An ``OSError`` that reached the top (a file tao-tui reads or writes) as one line naming the file,
    what the system said and the fix. ENOSPC/EROFS/EACCES/ENOENT… get their own fix; exit 2.
    ``after``: what the failure left on disk, said after the system's words."""
    import errno as _errno

    path = err.filename if err.filename is not None else None
    where = f" {path}" if path is not None else ""
    what = err.strerror or type(err).__name__
    prefix = f"{doing}: " if doing else ""
    fixes = {
        _errno.ENOSPC: "the disk is full: free some space (old results/, `docker system prune`) and retry",
        _errno.EDQUOT: "your disk quota is used up: free some space and retry",
        _errno.EROFS: "the folder is on a read-only filesystem: use a writable folder (copy the project)",
        _errno.EACCES: "check the file's owner and mode (`ls -l`); tao-tui needs to read and write it",
        _errno.EPERM: "check the file's owner and mode (`ls -l`); tao-tui needs to read and write it",
        _errno.ENOENT: "check the path exists",
        _errno.ENOTDIR: "a part of the path is a file, not a folder: fix the path",
        _errno.EISDIR: "the path is a folder: name a file",
        _errno.ENAMETOOLONG: "use a shorter path",
        _errno.ELOOP: "the path has a symbolic link loop: fix the link",
        _errno.EMFILE: "too many open files: raise `ulimit -n` and retry",
        _errno.EIO: "the disk reported an I/O error: check it (`dmesg`)",
    }
    fix = fixes.get(err.errno, "check the path and retry")
    return EnvironmentProblem(f"{prefix}can't use{where}: {what}" + (f"; {after}" if after else ""), fix)


def report_errors(run) -> int:
    """Call ``run() -> exit code`` and turn whatever it raises into one line on stderr and an exit
    code, never a traceback: a TaoTuiError as it says (1 user, 2 environment), an OSError through
    :func:`from_os_error`, a closed stdout quietly (141), Python's limits (nesting, 4,300-digit
    numbers, ``~NAME``) as the input problems they are, anything else as a bug in tao-tui (3; the
    traceback with ``TAO_TUI_DEBUG=1``). The CLI and the follower process use it."""
    import sys

    try:
        return run()
    except TaoTuiError as err:
        return _report(err)
    except BrokenPipeError:
        return _closed_pipe()
    except OSError as err:  # a file tao-tui reads or writes: disk full, read-only, permissions…
        return _report(from_os_error(err))
    except RecursionError:
        return _report(UserError("an input is nested too deeply to read",
                                 "check the file the command reads (a spec, project.yaml, ~/.tao_mounts.json)"))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except RuntimeError as err:
        if "home directory" not in str(err):  # pathlib's expanduser of "~name" with no such user
            return _bug(err)
        return _report(UserError("a path starts with ~NAME, but there is no user NAME on this machine",
                                 "write the full path, or ~/… for your own home folder"))
    except ValueError as err:
        if "integer string conversion" not in str(err):
            return _bug(err)
        return _report(UserError("a number in the input has more than 4,300 digits (Python's limit)",
                                 "check the flag values and the file the command reads"))
    except Exception as err:  # noqa: BLE001 - the last net: a bug, said as one, never a traceback
        return _bug(err)


def _bug(err: BaseException) -> int:
    """An error tao-tui did not expect is a bug in tao-tui: one line saying so (exit 3); the
    traceback only with TAO_TUI_DEBUG=1."""
    import contextlib
    import os
    import sys
    import traceback

    if os.environ.get("TAO_TUI_DEBUG") == "1":
        traceback.print_exc()
    text = str(err).splitlines()[0][:300] if str(err).strip() else ""
    with contextlib.suppress(OSError):
        print(f"error: internal error in tao-tui ({type(err).__name__}: {text})\n"
              "  fix: this is a bug in tao-tui, not your input: please report it with the command line "
              "(TAO_TUI_DEBUG=1 shows the details)", file=sys.stderr)
    return 3


def _report(err: TaoTuiError) -> int:
    import sys

    try:
        print(f"error: {err}", file=sys.stderr)
    except (BrokenPipeError, OSError):
        pass
    return err.exit_code


def _closed_pipe() -> int:
    """The reader went away (``tao-tui spec show F | head``): stop quietly, like other Unix tools.
    stdout is pointed at /dev/null so that Python's exit-time flush does not fail again."""
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141  # 128 + SIGPIPE, as a shell reports it
