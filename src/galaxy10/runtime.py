"""Process set-up for the stage scripts: where output goes, how errors are shown, which Keras backend, threads."""

import os
import sys
import traceback
from importlib.util import find_spec

from galaxy10.io import InputError

BACKENDS = ("tensorflow", "jax", "torch")
# The backend each model trains fastest with on CPUs, measured side by side (docs/speed-and-memory.md): the dense
# networks on JAX, the convolutional ones on TensorFlow, whose oneDNN kernels use AVX-512 where the CPU has it;
# without AVX-512 (a 2-core AMD EPYC) small_cnn trained 1.5x faster on JAX, with it (two Intel Xeons) 1.8-2.9x
# slower. On GPUs, JAX.
FASTEST_ON_CPU = {"seed_dnn": "jax", "deep_dnn": "jax"}
FASTEST_ON_CPU_WITHOUT_AVX512 = {**FASTEST_ON_CPU, "small_cnn": "jax"}


def choose_backend(name: str, model: str | None = None, gpus: int = 0, preferred: str = "auto",
                   avx512: bool | None = None) -> str:
    """`name` (the config's `backend`), or for "auto" the experiment's own `preferred` one where it names one, else
    the fastest measured backend for `model` on this machine (`avx512`: whether its CPU has AVX-512; by default
    read from it), TensorFlow where JAX is not installed."""
    if name != "auto":
        return name
    if preferred != "auto":
        return preferred
    if find_spec("jax") is None:
        return "tensorflow"
    if gpus:
        return "jax"
    fastest = FASTEST_ON_CPU if (cpu_has_avx512() if avx512 is None else avx512) else FASTEST_ON_CPU_WITHOUT_AVX512
    return fastest.get(model, "tensorflow")


def cpu_has_avx512() -> bool:
    """Whether this machine's CPU has AVX-512 (the `avx512f` flag of /proc/cpuinfo; False where there is none)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return any(line.startswith("flags") and " avx512f" in line for line in cpuinfo)
    except OSError:
        return False


def redirect_output(log_path) -> None:
    """Send stdout and stderr, including native libraries' messages, to the rule's log file.

    An uncaught `InputError` (bad input or settings) is written as one line, `Error: <message>`, to the log and
    to the console the job was started from, so the user sees the file and the problem without opening the log;
    any other exception keeps its full traceback in the log."""
    console = os.fdopen(os.dup(2), "w", buffering=1)
    log = open(log_path, "w", buffering=1)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log

    def report(kind, error, trace):
        if isinstance(error, InputError):
            line = f"Error: {error}\n"
            log.write(line)
            console.write(f"{log_path}: {line}")
        else:
            traceback.print_exception(kind, error, trace, file=log)
            console.write(f"{log_path}: {kind.__name__}: {error} (traceback in the log)\n")

    sys.excepthook = report


def use_backend(name: str, threads: int) -> None:
    """Choose the Keras backend and thread count; must run before keras is imported."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {BACKENDS}")
    if "keras" in sys.modules:
        raise RuntimeError("keras was imported before the backend was chosen; call use_backend first")
    os.environ["KERAS_BACKEND"] = name
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # a card may be shared (a workstation given --resources gpu=N runs N GPU jobs on the cards it can see):
    # take GPU memory as needed rather than all of it at start
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    # TensorFlow's two pools and OpenMP (oneDNN, torch) follow the job's threads; their defaults are every core of
    # the machine. JAX has no such setting: XLA sizes its pool from the CPUs the process may run on (its affinity,
    # which SLURM and `taskset` set).
    for variable in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[variable] = str(threads)
