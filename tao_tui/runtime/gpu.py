"""GPU stats through NVML (``nvidia-ml-py``, imported lazily as ``pynvml``).

No driver, no GPU or no NVML library is a normal *state*: :func:`read_gpus` returns an
empty list and a reason, never raises. Reads are cached for ``ttl`` seconds, so a UI can
ask on every refresh without hammering the driver.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    memory_used: int | None  # bytes
    memory_total: int | None  # bytes
    utilization: int | None  # percent, 0-100
    uuid: str | None = None
    temperature: int | None = None  # Celsius

    @property
    def memory_fraction(self) -> float | None:
        if self.memory_used is None or not self.memory_total:
            return None
        return self.memory_used / self.memory_total


@dataclass(frozen=True)
class GpuState:
    gpus: list[GpuInfo] = field(default_factory=list)
    reason: str | None = None  # why the list is empty (or partial)
    driver: str | None = None
    read_at: float = 0.0

    @property
    def available(self) -> bool:
        return bool(self.gpus)


class GpuMonitor:
    """Cached NVML reader. ``nvml`` may be given (tests); by default ``pynvml`` is imported on first read."""

    def __init__(self, ttl: float = 1.0, *, nvml: Any = None, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._nvml = nvml
        self._clock = clock
        self._lock = threading.Lock()
        self._state: GpuState | None = None
        self._init_error: str | None = None
        self._initialised = False

    def read(self) -> GpuState:
        with self._lock:
            now = self._clock()
            if self._state is not None and now - self._state.read_at < self.ttl:
                return self._state
            self._state = self._read(now)
            return self._state

    def close(self) -> None:
        with self._lock:
            if self._initialised and self._nvml is not None:
                try:
                    self._nvml.nvmlShutdown()
                except Exception:  # noqa: BLE001 - shutting down anyway
                    pass
            self._initialised = False
            self._state = None

    # ---------------------------------------------------------------- internals

    def _init(self) -> str | None:
        if self._initialised:
            return None
        if self._init_error is not None:
            return self._init_error
        if self._nvml is None:
            try:
                import pynvml
            except ImportError:
                self._init_error = "nvidia-ml-py is not installed (pip install nvidia-ml-py)"
                return self._init_error
            self._nvml = pynvml
        try:
            self._nvml.nvmlInit()
        except Exception as err:  # noqa: BLE001 - NVMLError and friends: a state, not a crash
            self._init_error = _explain_init(err)
            return self._init_error
        self._initialised = True
        return None

    def _read(self, now: float) -> GpuState:
        reason = self._init()
        if reason is not None:
            return GpuState([], reason, None, now)
        nv = self._nvml
        driver = _text(_try(nv.nvmlSystemGetDriverVersion))
        try:
            count = int(nv.nvmlDeviceGetCount())
        except Exception as err:  # noqa: BLE001
            return GpuState([], f"NVML could not count GPUs: {err}", driver, now)
        if count == 0:
            return GpuState([], "no NVIDIA GPU found (the driver is loaded but sees no device)", driver, now)
        gpus = []
        problems = []
        for i in range(count):
            try:
                handle = nv.nvmlDeviceGetHandleByIndex(i)
            except Exception as err:  # noqa: BLE001
                problems.append(f"GPU {i}: {err}")
                continue
            mem = _try(nv.nvmlDeviceGetMemoryInfo, handle)
            util = _try(nv.nvmlDeviceGetUtilizationRates, handle)
            temp = _try(nv.nvmlDeviceGetTemperature, handle, getattr(nv, "NVML_TEMPERATURE_GPU", 0))
            gpus.append(
                GpuInfo(
                    index=i,
                    name=_text(_try(nv.nvmlDeviceGetName, handle)) or f"GPU {i}",
                    memory_used=int(mem.used) if mem is not None else None,
                    memory_total=int(mem.total) if mem is not None else None,
                    utilization=int(util.gpu) if util is not None else None,
                    uuid=_text(_try(nv.nvmlDeviceGetUUID, handle)),
                    temperature=int(temp) if temp is not None else None,
                )
            )
        return GpuState(gpus, "; ".join(problems) or None, driver, now)


_DEFAULT: GpuMonitor | None = None


def read_gpus(ttl: float = 1.0) -> GpuState:
    """The GPUs of this machine (cached ``ttl`` s); an empty list + reason when there are none."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = GpuMonitor(ttl)
    return _DEFAULT.read()


def _try(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # noqa: BLE001 - a field the GPU does not support
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _explain_init(err: BaseException) -> str:
    name = type(err).__name__
    text = str(err)
    low = f"{name} {text}".lower()
    if "librarynotfound" in low or "library not found" in low or "libnvidia-ml" in low:
        return (
            "no NVIDIA driver: libnvidia-ml.so not found (install the NVIDIA driver; `nvidia-smi` must work)"
        )
    if "driver not loaded" in low or "drivernotloaded" in low:
        return "the NVIDIA driver is not loaded (reboot, or `sudo modprobe nvidia`; `nvidia-smi` must work)"
    if "insufficient permissions" in low or "no_permission" in low:
        return "no permission to read the GPUs through NVML"
    return f"NVML failed to start: {text or name}"
