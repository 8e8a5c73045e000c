import pytest
import torch

from hclib.machine import device_description, peak_host_memory_mb, resolve_device


def test_auto_and_cpu():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda")
    assert "cores" in device_description("cpu")
    assert peak_host_memory_mb() > 10


@pytest.mark.parametrize("bad,match", [("tpu", "unknown device"), (0, "must be a string")])
def test_bad_device(bad, match):
    with pytest.raises(ValueError, match=match):
        resolve_device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_without_gpu_says_so():
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")


def test_memory_peak_sees_a_block():
    from hclib.machine import HostMemoryPeak

    with HostMemoryPeak() as before:
        pass
    with HostMemoryPeak() as during:
        block = bytearray(200 * 2**20)
        block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
    assert during.peak_mb > before.peak_mb + 100
