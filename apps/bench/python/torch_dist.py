"""PyTorch baseline for the DIST bench: times the design note's DIST class (seed/DIST-design-note.md),
fp32, imported from the folder given as the first argument (@dist-kd/conformance's scripts).

Speaks JSON lines on stdin/stdout (one object per line):
  on start, it writes {"ready": true, "python": ..., "torch": ..., "threads": ...}
                   or {"ready": false, "reason": ...} when torch cannot be imported, and exits.
  {"cmd": "load", "batch": B, "classes": C, "student": base64 float32, "teacher": base64 float32,
   "beta": b, "gamma": g, "tau": t, "eps": e}                        -> {"ok": true}
  {"cmd": "run", "op": "forward" | "forward+backward"}              -> {"ok": true, "ms": ..., "loss": ...}
  {"cmd": "quit"}                                                   -> exits
A failed command answers {"ok": false, "error": "..."}.
"""
import base64
import json
import platform
import sys
import time

THREADS = 2


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


try:
    import torch

    # The design note's DIST class, as written, lives once in the repository: in
    # @dist-kd/conformance's scripts, whose folder the bench passes as the first argument.
    sys.path.insert(0, sys.argv[1])
    from dist_design_note import DIST
except Exception as error:  # torch (or the class) missing: say why, the bench lists pytorch as unavailable
    send({"ready": False, "reason": f"{type(error).__name__}: {error}"})
    sys.exit(0)


def tensor_from(b64, batch, classes):
    raw = bytearray(base64.b64decode(b64))
    return torch.frombuffer(raw, dtype=torch.float32).reshape(batch, classes).clone()


def main():
    torch.set_num_threads(THREADS)
    send({"ready": True, "python": platform.python_version(), "torch": torch.__version__, "threads": torch.get_num_threads()})
    state = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        command = request.get("cmd")
        try:
            if command == "quit":
                return
            if command == "load":
                batch, classes = request["batch"], request["classes"]
                model = DIST(beta=request["beta"], gamma=request["gamma"], tau=request["tau"])
                model.eps = request["eps"]
                state = {
                    "model": model,
                    "student": tensor_from(request["student"], batch, classes),
                    "teacher": tensor_from(request["teacher"], batch, classes),
                }
                send({"ok": True})
            elif command == "run":
                send({"ok": True, **run(state, request["op"])})
            else:
                send({"ok": False, "error": f"unknown command {command!r}"})
        except Exception as error:
            send({"ok": False, "error": f"{type(error).__name__}: {error}"})


def run(state, op):
    if "model" not in state:
        raise RuntimeError("run before load")
    model, teacher = state["model"], state["teacher"]
    if op == "forward":
        student = state["student"]
        start = time.perf_counter()
        with torch.no_grad():
            loss = model(student, teacher)
        elapsed = time.perf_counter() - start
    elif op == "forward+backward":
        student = state["student"].requires_grad_(True)
        student.grad = None
        start = time.perf_counter()
        loss = model(student, teacher)
        loss.backward()
        elapsed = time.perf_counter() - start
        student.requires_grad_(False)
    else:
        raise ValueError(f"unknown op {op!r}")
    return {"ms": elapsed * 1000.0, "loss": loss.item()}


if __name__ == "__main__":
    main()
