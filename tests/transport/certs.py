"""Test certificates made with the openssl command: a CA, and leaf certificates signed
by it with the names, and the dates, a test asks for."""
import os
import subprocess


def _run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class CA:
    def __init__(self, work, name="sipevents test CA"):
        self.dir = os.path.join(work, "ca")
        os.makedirs(self.dir, exist_ok=True)
        self.cert = os.path.join(self.dir, "ca.pem")
        self.key = os.path.join(self.dir, "ca.key")
        _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", self.key, "-out", self.cert, "-days", "30", "-subj", f"/CN={name}",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=self.dir)
        with open(os.path.join(self.dir, "index.txt"), "w"):
            pass
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")
        self.conf = os.path.join(self.dir, "ca.cnf")
        with open(self.conf, "w") as f:
            f.write(f"""[ ca ]
default_ca = test
[ test ]
dir = {self.dir}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir
certificate = {self.cert}
private_key = {self.key}
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
""")

    def leaf(self, name, cn, sans, start=None, end=None, days=30):
        """A key and a certificate signed by this CA: `sans` like ["DNS:example.com",
        "IP:127.0.0.1", "URI:sip:example.com"]; `start`/`end` as YYYYMMDDHHMMSSZ."""
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        cert = os.path.join(self.dir, name + ".pem")
        args = ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", csr, "-subj", f"/CN={cn}"]
        if sans:
            args += ["-addext", "subjectAltName=" + ",".join(sans)]
        _run(*args, cwd=self.dir)
        sign = ["ca", "-batch", "-config", self.conf, "-in", csr, "-out", cert, "-notext"]
        sign += ["-startdate", start] if start else []
        sign += ["-enddate", end] if end else ["-days", str(days)]
        _run(*sign, cwd=self.dir)
        return cert, key
