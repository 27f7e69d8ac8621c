"""The command palette's tao-tui commands (a Textual ``Provider``): every action of the project
screen, per stage where it applies — run/stop a stage, copy its command, results, preview,
shell, open its log, diff its spec — and export the script, pre-flight, doctor, open another
project. The screen supplies them with ``palette_commands()``: (title, help, callback)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ProjectCommands(Provider):
    """Commands of the active screen that defines ``palette_commands()``."""

    def _commands(self):
        source = getattr(self.screen, "palette_commands", None)
        return source() if source else []

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(callback), text=title, help=help_text)
