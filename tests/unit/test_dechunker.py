"""The log reader's HTTP/1.1 chunked decoder (engine.follow reads Docker's stream in 64 KiB blocks)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tao_tui.runtime.engine import _Dechunker


def _encode(chunks: list[bytes], ext: bool) -> bytes:
    out = b""
    for c in chunks:
        out += f"{len(c):x}".encode() + (b";name=v" if ext else b"") + b"\r\n" + c + b"\r\n"
    return out + b"0\r\n\r\n"


@settings(max_examples=300, deadline=None)
@given(
    chunks=st.lists(st.binary(min_size=1, max_size=300), max_size=30),
    cuts=st.lists(st.integers(min_value=1, max_value=64), max_size=200),
    ext=st.booleans(),
)
def test_any_split_of_the_stream_gives_the_body(chunks, cuts, ext):
    wire = _encode(chunks, ext) + b"trailing bytes after the end are not log data"
    d = _Dechunker()
    body, pos = b"", 0
    for cut in cuts + [len(wire)]:
        body += d.feed(wire[pos : pos + cut])
        pos += cut
        if pos >= len(wire):
            break
    assert body == b"".join(chunks)
    assert d.done


def test_a_chunk_cut_inside_its_size_line_and_its_crlf():
    wire = _encode([b"line one\n", b"line two\n"], ext=False)
    d = _Dechunker()
    assert b"".join(d.feed(wire[i : i + 1]) for i in range(len(wire))) == b"line one\nline two\n"
