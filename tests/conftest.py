"""Shared by every test: tao-tui's user data (the recent-projects index) goes to a temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _user_data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TAO_TUI_DATA", str(tmp_path_factory.mktemp("tao-tui-data")))
