"""The design note's DIST class on a CUDA GPU, fp32, timed per size: the PyTorch-on-GPU figure to
set beside the WebGPU backend on the same machine. Prints one JSON object.

  python3 apps/bench/python/torch_cuda_check.py packages/conformance/scripts [--repeats 50]
"""
import json
import sys
import time

import torch

sys.path.insert(0, sys.argv[1])
from dist_design_note import DIST  # noqa: E402  (the class as written, kept once in the repository)

REPEATS = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 50
SIZES = [(256, 1000), (1024, 1000), (128, 32000)]


def median_ms(step):
    for _ in range(5):
        step()
    torch.cuda.synchronize()
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


def main():
    device = torch.device("cuda")
    generator = torch.Generator(device="cpu").manual_seed(0)
    loss_fn = DIST()
    report = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "repeats": REPEATS, "timings": []}
    for batch, classes in SIZES:
        student = (torch.randn(batch, classes, generator=generator) * 3).to(device).requires_grad_(True)
        teacher = (torch.randn(batch, classes, generator=generator) * 3).to(device)

        def forward():
            with torch.no_grad():
                loss_fn(student, teacher)

        def forward_backward():
            student.grad = None
            loss_fn(student, teacher).backward()

        report["timings"].append(
            {
                "batch": batch,
                "classes": classes,
                "forward_ms": median_ms(forward),
                "forward_backward_ms": median_ms(forward_backward),
            }
        )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
