"""The log pane: newest line drawn past max_lines, follow/pause, search, wrap (Pilot)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tao_tui.ui.widgets.log_pane import LineBuffer, LogPane, clean


class PaneApp(App):
    def __init__(self, **kwargs):
        super().__init__()
        self.kwargs = kwargs

    def compose(self) -> ComposeResult:
        yield LogPane(id="log", **self.kwargs)


def screen_text(app) -> str:
    """What the terminal shows, as plain text lines (from the rendered screenshot)."""
    import html
    import re

    rows: dict[int, list[str]] = {}
    for line, text in re.findall(r'<text [^>]*clip-path="url\(#terminal-\d+-line-(\d+)\)">([^<]*)</text>',
                                 app.export_screenshot()):
        rows.setdefault(int(line), []).append(html.unescape(text).replace("\xa0", " "))
    return "\n".join("".join(rows[k]) for k in sorted(rows))


async def test_newest_line_is_drawn_after_max_lines_is_reached():
    app = PaneApp(max_lines=50, flush_s=0.05)
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        for batch in range(5):  # 5 × 40 lines: the pane trims to 50 from the 2nd batch on
            pane.buffer.extend([f"line {batch * 40 + i:04d}" for i in range(40)])
            await pilot.pause(0.15)
            shot = screen_text(app)
            assert f"line {batch * 40 + 39:04d}" in shot, f"batch {batch}: newest line not on screen"
        assert len(pane.lines) == 50
        assert pane.lines[-1] == "line 0199"


async def test_one_flush_per_batch_and_no_timer_when_idle():
    app = PaneApp(flush_s=0.05)
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        await pilot.pause(0.2)
        before = pane.flushes
        await pilot.pause(0.3)
        assert pane.flushes == before and pane._timer is None  # idle: nothing scheduled
        pane.buffer.extend(["a"])
        pane.buffer.extend(["b", "c"])
        await pilot.pause(0.2)
        assert pane.flushes == before + 1 and pane.lines[-3:] == ["a", "b", "c"]


async def test_pause_keeps_the_view_and_follow_jumps_to_the_end():
    app = PaneApp(flush_s=0.01)
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        pane.buffer.extend([f"row {i}" for i in range(100)])
        await pilot.pause(0.1)
        assert "row 99" in screen_text(app)
        pane.toggle_follow()
        pane.scroll_to(y=0, animate=False, immediate=True)
        pane.buffer.extend(["row 100"])
        await pilot.pause(0.1)
        shot = screen_text(app)
        assert "row 0" in shot and "row 100" not in shot
        pane.toggle_follow()
        await pilot.pause(0.05)
        assert "row 100" in screen_text(app)


async def test_search_highlights_and_moves_between_matches():
    app = PaneApp(flush_s=0.01)
    async with app.run_test(size=(60, 12)) as pilot:
        pane = app.query_one(LogPane)
        pane.buffer.extend([f"epoch {i} loss 0.{i}" if i % 10 == 0 else f"step {i}" for i in range(200)])
        await pilot.pause(0.1)
        assert pane.search("EPOCH") == 20
        assert pane.next_match(1) == 0  # wraps to the first
        await pilot.pause()
        assert "epoch 0 loss" in screen_text(app)
        assert pane.next_match(1) == 10
        assert pane.next_match(-1) == 0
        assert not pane.following  # searching pauses the view
        strip = pane.render_line(pane.scroll_offset.y and 0)
        styles = {seg.style.bgcolor.name for seg in strip if seg.style and seg.style.bgcolor}
        assert styles  # the match is highlighted


async def test_wrap_shows_the_whole_long_line():
    app = PaneApp(flush_s=0.01)
    async with app.run_test(size=(40, 10)) as pilot:
        pane = app.query_one(LogPane)
        long = "ERROR " + "x" * 50 + " fix: lower batch_size"
        pane.buffer.extend([long])
        await pilot.pause(0.1)
        assert "fix: lower batch_size" not in screen_text(app)
        pane.toggle_wrap()
        await pilot.pause()
        assert "fix: lower" in screen_text(app)


def test_buffer_counts_dropped_lines_and_signals_once():
    calls = []
    buf = LineBuffer(maxlen=3, on_first=lambda: calls.append(1))
    buf.extend(["a", "b"])
    buf.extend(["c", "d"])
    assert calls == [1]
    assert buf.drain() == (["b", "c", "d"], 1)
    buf.extend(["e"])
    assert calls == [1, 1]


def test_clean_keeps_the_last_tqdm_segment_and_hides_control_codes():
    assert clean("10%|█ \r 50%|███ \r") == " 50%|███ "
    assert clean("a\x1b[2Jb") == "a\ufffd[2Jb"


async def test_wrap_loses_no_character_when_the_scrollbar_appears():
    """Rows wrapped before the vertical scrollbar came must not lose their last cell under it."""
    app = PaneApp(flush_s=0.01)
    async with app.run_test(size=(40, 10)) as pilot:
        pane = app.query_one(LogPane)
        pane.toggle_wrap()
        long = "".join(chr(ord("a") + i % 26) for i in range(120))
        pane.buffer.extend([long])
        await pilot.pause(0.1)
        pane.buffer.extend([f"line {i}" for i in range(30)])  # now the scrollbar shows
        await pilot.pause(0.1)
        pane.scroll_to(y=0, animate=False, immediate=True, force=True)
        await pilot.pause()
        rows = [pane.render_line(y).text for y in range(4)]
        assert "".join(r.rstrip() for r in rows).startswith(long)
