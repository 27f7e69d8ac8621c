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
