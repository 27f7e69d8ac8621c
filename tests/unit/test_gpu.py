"""runtime/gpu.py with a fake NVML module: states, not exceptions; TTL cache."""

from __future__ import annotations

from types import SimpleNamespace

from tao_tui.runtime.gpu import GpuMonitor


class NVMLError(Exception):
    pass


class NVMLError_LibraryNotFound(NVMLError):  # noqa: N801 - pynvml's own class name
    def __str__(self) -> str:
        return "NVML Shared Library Not Found"


class FakeNvml:
    NVML_TEMPERATURE_GPU = 0

    def __init__(self, count=2, init_error=None):
        self.count = count
        self.init_error = init_error
        self.reads = 0
        self.used = 1 << 30

    def nvmlInit(self):
        if self.init_error:
            raise self.init_error

    def nvmlShutdown(self):
        pass

    def nvmlSystemGetDriverVersion(self):
        return "550.54.15"

    def nvmlDeviceGetCount(self):
        self.reads += 1
        return self.count

    def nvmlDeviceGetHandleByIndex(self, i):
        return i

    def nvmlDeviceGetName(self, h):
        return b"NVIDIA A100-SXM4-80GB" if h == 0 else "NVIDIA L4"

    def nvmlDeviceGetMemoryInfo(self, h):
        return SimpleNamespace(used=self.used, total=80 << 30, free=0)

    def nvmlDeviceGetUtilizationRates(self, h):
        if h == 1:
            raise NVMLError("Not Supported")
        return SimpleNamespace(gpu=57, memory=10)

    def nvmlDeviceGetUUID(self, h):
        return f"GPU-{h}"

    def nvmlDeviceGetTemperature(self, h, kind):
        return 61


def test_reads_every_gpu_and_tolerates_unsupported_fields():
    state = GpuMonitor(nvml=FakeNvml()).read()
    assert state.available and state.reason is None and state.driver == "550.54.15"
    a, b = state.gpus
    assert (a.index, a.name, a.memory_used, a.memory_total, a.utilization) == (
        0,
        "NVIDIA A100-SXM4-80GB",
        1 << 30,
        80 << 30,
        57,
    )
    assert a.memory_fraction == 1 / 80 and a.temperature == 61 and a.uuid == "GPU-0"
    assert b.name == "NVIDIA L4" and b.utilization is None


def test_ttl_cache():
    now = [100.0]
    nv = FakeNvml()
    mon = GpuMonitor(ttl=1.0, nvml=nv, clock=lambda: now[0])
    first = mon.read()
    nv.used = 2 << 30
    now[0] += 0.5
    assert mon.read() is first and nv.reads == 1
    now[0] += 0.6
    assert mon.read().gpus[0].memory_used == 2 << 30 and nv.reads == 2


def test_no_driver_is_a_state_with_a_reason():
    state = GpuMonitor(nvml=FakeNvml(init_error=NVMLError_LibraryNotFound())).read()
    assert state.gpus == [] and not state.available
    assert "no NVIDIA driver" in state.reason and "nvidia-smi" in state.reason


def test_no_gpu_is_a_state_with_a_reason():
    state = GpuMonitor(nvml=FakeNvml(count=0)).read()
    assert state.gpus == [] and "no NVIDIA GPU" in state.reason


def test_real_nvml_on_this_machine_never_raises():
    state = GpuMonitor().read()  # real pynvml: GPUs, or an empty list and a reason
    assert state.gpus or state.reason
