"""TLS: ``mprelay.connect(..., tls=ssl_context)`` against a broker endpoint with TLS, with the
certificates of the repository's Tests/fixtures/make-test-certificates.sh."""

import asyncio
import os
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

import mprelay
import mprelay.aio

MAKE_CERTIFICATES = Path(__file__).resolve().parents[3] / "Tests" / "fixtures" / "make-test-certificates.sh"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("certs")
    done = subprocess.run(["bash", str(MAKE_CERTIFICATES), str(directory)], capture_output=True, text=True)
    assert done.returncode == 0, "cannot make the test certificates (is openssl installed?):\n" + done.stderr
    return directory


@pytest.fixture
def tls_broker(make_broker: Any, certs: Path) -> Any:
    broker = make_broker(endpoints=[{"address": "127.0.0.1:0", "authkey": "tls test key",
                                     "tls_cert_file": str(certs / "server.pem"),
                                     "tls_key_file": str(certs / "server.key")}],
                         authkey=b"tls test key", feature="TLS endpoints")
    return broker


def context(certs: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs / "ca.pem"))


def test_peers_exchange_over_tls(tls_broker: Any, certs: Path) -> None:
    address = tls_broker.address
    with mprelay.connect(address, b"tls test key", name="tls-a", tls=context(certs)) as a, \
            mprelay.connect(address, b"tls test key", name="tls-b", tls=context(certs)) as b:
        a.send("tls-b", {"n": 1})
        assert b.recv(timeout=5).payload == {"n": 1}
        big = os.urandom(300_000)
        a.send_bytes("tls-b", big)
        assert b.recv_bytes(timeout=5) == big
        a.send_many("tls-b", [b"x%d" % i for i in range(1000)])
        got = []
        while len(got) < 1000:
            got += [m.payload for m in b.recv_many(max=1000, timeout=5)]  # type: ignore[union-attr]
        assert got == [b"x%d" % i for i in range(1000)]
        assert a.ping(timeout=5) >= 0


def test_an_untrusted_or_misnamed_certificate_is_an_ssl_error(tls_broker: Any, certs: Path) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        mprelay.connect(tls_broker.address, b"tls test key", name="x", tls=ssl.create_default_context())
    with pytest.raises(ssl.SSLCertVerificationError):
        mprelay.connect(tls_broker.address, b"tls test key", name="x", tls=context(certs),
                        server_hostname="relay.example")


def test_asyncio_peers_over_tls(tls_broker: Any, certs: Path) -> None:
    async def main() -> Any:
        async with mprelay.aio.connect(tls_broker.address, b"tls test key", name="aio-a", tls=context(certs)) as a, \
                mprelay.aio.connect(tls_broker.address, b"tls test key", name="aio-b", tls=context(certs)) as b:
            for i in range(100):
                await a.send_bytes("aio-b", b"%d" % i)
            return [await b.recv_bytes(timeout=5) for _ in range(100)]
    assert asyncio.run(main()) == [b"%d" % i for i in range(100)]
