"""Test certificates made with the openssl command: a private CA and leaf certificates signed
by it, written to a temporary directory. Nothing here is used outside the tests."""
import subprocess
from pathlib import Path


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=30)


class CertificateAuthority:
    """A CA in `directory` that signs leaf certificates for the names asked for."""

    def __init__(self, directory, name="River Test CA"):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cert = self.dir / "ca.crt"
        self.key = self.dir / "ca.key"
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-days", "2", "-subj", f"/CN={name}",
                 "-keyout", str(self.key), "-out", str(self.cert), cwd=self.dir)

    def leaf(self, stem, names, ips=("127.0.0.1",), client=False):
        """Signs a certificate for DNS `names` and `ips`; returns (certificate, key) paths."""
        key = self.dir / f"{stem}.key"
        csr = self.dir / f"{stem}.csr"
        cert = self.dir / f"{stem}.crt"
        ext = self.dir / f"{stem}.ext"
        alt = [f"DNS:{n}" for n in names] + [f"IP:{ip}" for ip in ips]
        usage = "clientAuth" if client else "serverAuth"
        ext.write_text(f"subjectAltName={','.join(alt)}\nextendedKeyUsage={usage}\n")
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-subj", f"/CN={names[0] if names else stem}", "-keyout", str(key),
                 "-out", str(csr), cwd=self.dir)
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey", str(self.key),
                 "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert),
                 cwd=self.dir)
        return cert, key
