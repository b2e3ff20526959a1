"""Writing outputs so that a failed stage leaves nothing half-written behind."""

import contextlib
import os
import tempfile
from pathlib import Path


class InputError(ValueError):
    """Input or settings that the user can fix: the stage scripts report it as one line, without a traceback."""


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path beside `path`; rename it into place only if the block succeeds. A temporary file
    of `path` that a killed process left behind (SIGKILL runs no cleanup) is removed first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.stem}.*{path.suffix}"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; outputs should be like any other file
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
