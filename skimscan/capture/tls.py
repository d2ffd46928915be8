"""STAGE 1 (capture): throw-away TLS certificates — for local servers (the synthetic checkout
that files are detonated on, the test suite's fixture shop) and for the egress proxy's answers
to quarantined hosts. Never committed, made at start-up.

Uses the `openssl` command line (the `cryptography` package is not a dependency). The key and
certificate live in a temporary directory that the server removes when it stops.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from skimscan.errors import BrowserNotFoundError


def _self_signed(openssl: str, folder: Path, key_options: Sequence[str],
                 subject: str, extra: Sequence[str] = ()) -> ssl.SSLContext:
    """`openssl req -x509` into `folder` (key.pem, cert.pem), loaded as a server context."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", *key_options, "-nodes", "-days", "2", "-subj", subject,
         *extra, "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def make_ssl_context(hosts: Iterable[str],
                     workdir: Path | None = None) -> tuple[ssl.SSLContext, Path]:
    """A server SSLContext for a self-signed certificate naming every host (and 127.0.0.1)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("a local HTTPS server needs the `openssl` command for its certificate")
    tmp = Path(workdir or tempfile.mkdtemp(prefix="skimscan-tls-"))
    names = sorted(set(hosts) | {"localhost"})
    san = ",".join([f"DNS:{h}" for h in names] + ["IP:127.0.0.1"])
    ctx = _self_signed(openssl, tmp, ["-newkey", "rsa:2048"], "/CN=skimscan local server",
                       ["-addext", f"subjectAltName={san}"])
    return ctx, tmp


@dataclass(frozen=True)
class MitmIdentity:
    """The key the egress proxy answers held TLS connections with, and its SPKI hash.

    Chromium is told (`--ignore-certificate-errors-spki-list`) to accept a certificate with
    this key for any name, and no other certificate error: the proxy can then read what a page
    sends to a quarantined host without the host ever being contacted.
    """

    context: ssl.SSLContext
    spki_sha256: str  # base64, as Chromium's switch wants it


def make_mitm_identity() -> MitmIdentity:
    """A fresh P-256 key and a self-signed certificate for it; the files are removed at once."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise BrowserNotFoundError(
            "the browser scan needs the `openssl` command (for the key its quarantine answers "
            "with): install it, e.g. `apt-get install openssl`")
    tmp = Path(tempfile.mkdtemp(prefix="skimscan-egress-"))
    try:
        ctx = _self_signed(openssl, tmp, ["-newkey", "ec", "-pkeyopt",
                                          "ec_paramgen_curve:prime256v1"],
                           "/CN=skimscan quarantine")
        ctx.set_alpn_protocols(["http/1.1"])
        der = subprocess.run([openssl, "pkey", "-in", str(tmp / "key.pem"), "-pubout",
                              "-outform", "DER"], check=True, capture_output=True).stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return MitmIdentity(ctx, base64.b64encode(hashlib.sha256(der).digest()).decode())
