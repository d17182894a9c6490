"""The download cache every dataset family uses (``datamodules.download.fetch``): verified
by checksum, written atomically, never trusting a damaged file, safe with two processes."""
import hashlib
import http.server
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from datamodules.download import FileSet, RemoteFile, fetch
from datamodules.errors import DataError

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class SlowHandler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD in 64 KiB chunks with a pause; ``/broken`` stops half-way."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        stop = len(PAYLOAD) // 2 if self.path == "/broken" else len(PAYLOAD)
        for start in range(0, stop, 1 << 16):
            self.wfile.write(PAYLOAD[start : start + (1 << 16)])
            time.sleep(0.02)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def fileset(url):
    checksum = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
    return FileSet("Test data", "testdata", (RemoteFile("data.bin", checksum, url),))


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name != "data.bin")


def test_a_truncated_cached_file_is_never_used_and_is_fetched_again(server, tmp_path):
    cached = tmp_path / "testdata" / "data.bin"
    cached.parent.mkdir()
    cached.write_bytes(PAYLOAD[:1000])  # e.g. a copy cut short by a full disk
    (path,) = fetch(fileset(f"{server}/data.bin"), tmp_path)
    assert path == cached and path.read_bytes() == PAYLOAD
    assert leftovers(cached.parent) == []


def test_offline_with_a_corrupted_cached_file_says_so(tmp_path):
    cached = tmp_path / "testdata" / "data.bin"
    cached.parent.mkdir()
    cached.write_bytes(b"garbage")
    with pytest.raises(DataError, match="corrupted") as error:
        fetch(fileset(None), tmp_path)
    assert "\n" not in str(error.value)


def test_an_interrupted_download_leaves_nothing_behind(server, tmp_path):
    with pytest.raises(DataError):
        fetch(fileset(f"{server}/broken"), tmp_path)
    assert list((tmp_path / "testdata").iterdir()) == []


def test_two_processes_filling_the_cache_at_once_do_not_corrupt_it(server, tmp_path):
    script = textwrap.dedent(f"""
        import hashlib
        from datamodules.download import FileSet, RemoteFile, fetch
        checksum = "sha256:{hashlib.sha256(PAYLOAD).hexdigest()}"
        (path,) = fetch(FileSet("Test data", "testdata", (RemoteFile("data.bin", checksum, "{server}/data.bin"),)),
                        r"{tmp_path}")
        print(path)
    """)
    processes = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-500:]
    cached = tmp_path / "testdata" / "data.bin"
    assert cached.read_bytes() == PAYLOAD
    assert leftovers(cached.parent) == []
