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
