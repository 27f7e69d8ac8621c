"""The only layer that touches the outside world: container engine, GPUs, mounts, checks.

Submodules import their heavy dependencies (docker, pynvml) lazily; import what you need:
``from tao_tui.runtime.engine import Engine, RunSpec, Mount``.
"""
