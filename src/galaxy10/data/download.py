"""Fetching a data file: reuse a verified cached copy, resume interrupted transfers, verify, rename into place."""

import hashlib
import os
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from galaxy10.io import InputError, atomic_output

BLOCK = 1 << 20


class DownloadError(InputError):
    """The file could not be fetched, or what arrived is not the expected file."""


def sha256sum(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _by_hand(url, dest, sha256):
    return (
        f"To proceed offline, fetch {url} on a machine with network access and copy it to {dest} "
        f"(sha256 {sha256}), or set data.<dataset>.path in the config to a local copy."
    )


def _use_cached(cached: Path, dest: Path) -> None:
    """Hard-link a verified cached copy into place, copying where links are not possible."""
    with atomic_output(dest) as tmp:
        os.remove(tmp)
        try:
            os.link(cached, tmp)
        except OSError:
            shutil.copyfile(cached, tmp)


def _transfer(url: str, part: Path, timeout: float, progress: bool) -> None:
    """Append the rest of `url` to `part`, asking only for the bytes it does not have yet."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416:  # the partial file already holds every byte
            return
        raise
    with response:
        if have and response.status != 206:  # the server ignored the range: start over
            have = 0
        size = response.headers.get("Content-Length")
        total = have + int(size) if size is not None else None
        with open(part, "ab" if have else "wb") as out, tqdm(
            total=total, initial=have, unit="B", unit_scale=True, desc=part.name, disable=not progress, file=sys.stderr
        ) as bar:
            while block := response.read(BLOCK):
                out.write(block)
                bar.update(len(block))
        if total is not None and part.stat().st_size < total:
            raise ConnectionError(f"transfer ended after {part.stat().st_size} of {total} bytes")


def fetch(url: str, dest, sha256: str, cached=(), attempts: int = 3, timeout: float = 30, progress=True) -> str:
    """Put the file with checksum `sha256` at `dest`; return where it came from ("cache" or the URL).

    A copy among `cached` with the right checksum is used without downloading. Otherwise the file is
    fetched into `dest` + ".part", resuming after interruptions (also across calls), checked, and only
    then renamed to `dest`. A file with the wrong checksum is deleted and never reaches `dest`.
    """
    dest = Path(dest)
    for candidate in map(Path, cached):
        if candidate.is_file() and sha256sum(candidate) == sha256:
            _use_cached(candidate, dest)
            return "cache"

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    for attempt in range(1, attempts + 1):
        try:
            _transfer(url, part, timeout, progress)
            break
        except urllib.error.HTTPError as err:
            raise DownloadError(f"{url} answered HTTP {err.code} {err.reason}. {_by_hand(url, dest, sha256)}") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            if not part.exists() or attempt == attempts:  # nothing arrived at all: no network, no server
                raise DownloadError(
                    f"could not download {url} ({reason}); a partial copy, if any, is kept at {part} "
                    f"and the next run resumes it. {_by_hand(url, dest, sha256)}"
                ) from None
            print(f"transfer interrupted ({reason}); resuming, attempt {attempt + 1} of {attempts}", file=sys.stderr)

    actual = sha256sum(part)
    if actual != sha256:
        part.unlink()
        raise DownloadError(
            f"{url} arrived with sha256 {actual}, expected {sha256}; the file was deleted. "
            f"Check data.<dataset>.url and .sha256 in the config. {_by_hand(url, dest, sha256)}"
        )
    os.replace(part, dest)
    return url
