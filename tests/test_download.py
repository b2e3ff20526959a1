import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from galaxy10.data.download import DownloadError, fetch

PAYLOAD = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a bit, more than one read block
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Server:
    """A local HTTP server for one file, which honours Range and can break off a transfer on purpose."""

    def __init__(self):
        self.payload = PAYLOAD
        self.cut_after = None  # break off the next transfer after this many bytes
        self.honour_range = True
        self.ranges = []  # the Range header of every request, None where absent
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                header = self.headers.get("Range")
                server.ranges.append(header)
                start = int(header.split("=")[1].rstrip("-")) if header and server.honour_range else 0
                body = server.payload[start:]
                self.send_response(206 if start else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_after is not None:
                    body, server.cut_after = body[: server.cut_after], None
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/Galaxy10.h5"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def test_normal_transfer(server, tmp_path):
    dest = tmp_path / "Galaxy10.h5"
    assert fetch(server.url, dest, SHA, progress=False) == server.url
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges == [None]
    assert list(tmp_path.iterdir()) == [dest]  # no partial file left


def test_interrupted_transfer_resumes_where_it_stopped(server, tmp_path):
    server.cut_after = 300_000
    dest = tmp_path / "Galaxy10.h5"
    fetch(server.url, dest, SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges == [None, "bytes=300000-"]


def test_partial_file_from_an_earlier_run_is_resumed(server, tmp_path):
    dest = tmp_path / "Galaxy10.h5"
    (tmp_path / "Galaxy10.h5.part").write_bytes(PAYLOAD[:123_456])
    fetch(server.url, dest, SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges == ["bytes=123456-"]


def test_server_that_ignores_range_restarts_cleanly(server, tmp_path):
    server.honour_range = False
    dest = tmp_path / "Galaxy10.h5"
    (tmp_path / "Galaxy10.h5.part").write_bytes(b"stale bytes from elsewhere")
    fetch(server.url, dest, SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_corrupt_file_is_refused_and_deleted(server, tmp_path):
    server.payload = PAYLOAD[:-1] + b"X"
    dest = tmp_path / "Galaxy10.h5"
    with pytest.raises(DownloadError, match=f"expected {SHA}"):
        fetch(server.url, dest, SHA, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_no_server_fails_at_once_saying_what_to_do(tmp_path):
    url = "http://127.0.0.1:9/Galaxy10.h5"  # the discard port: nothing listens
    dest = tmp_path / "Galaxy10.h5"
    started = time.monotonic()
    with pytest.raises(DownloadError) as error:
        fetch(url, dest, SHA, progress=False)
    assert time.monotonic() - started < 5
    message = str(error.value)
    assert url in message and str(dest) in message and SHA in message and "data.<dataset>.path" in message
    assert not dest.exists()


def test_verified_cached_copy_is_used_without_downloading(server, tmp_path):
    cached = tmp_path / "cache" / "Galaxy10.h5"
    cached.parent.mkdir()
    cached.write_bytes(PAYLOAD)
    dest = tmp_path / "out" / "Galaxy10.h5"
    assert fetch(server.url, dest, SHA, cached=[cached], progress=False) == "cache"
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges == []


def test_cached_copy_with_wrong_checksum_is_ignored(server, tmp_path):
    cached = tmp_path / "cached.h5"
    cached.write_bytes(b"not the file")
    dest = tmp_path / "Galaxy10.h5"
    assert fetch(server.url, dest, SHA, cached=[cached], progress=False) == server.url
    assert dest.read_bytes() == PAYLOAD
