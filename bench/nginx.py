"""Runs Debian's nginx with deploy/nginx's template in front of local gateways (for the load
bench and the load-balancing tests)."""

from __future__ import annotations

import shutil
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "coderunhub.conf.template"


def render(workdir: Path, port: int, gateway_ports: list[int], auth_port: int, web_root: Path) -> Path:
    site = string.Template(TEMPLATE.read_text()).safe_substitute(
        CRH_LISTEN=f"127.0.0.1:{port}",
        CRH_GATEWAY_SERVERS="\n    ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in gateway_ports),
        CRH_AUTH_SERVERS=f"server 127.0.0.1:{auth_port};",
        CRH_WEB_ROOT=str(web_root),
        CRH_CONNECTIONS_PER_IP="1024",
    )
    (workdir / "site.conf").write_text(site)
    temp = "\n".join(
        f"  {kind}_temp_path {workdir}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"""worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
{temp}
  include {workdir}/site.conf;
}}
"""
    )
    return conf


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


@contextmanager
def nginx(port: int, gateway_ports: list[int], auth_port: int, index_html: str = "") -> Iterator[Path]:
    """nginx listening on ``port``; yields its work directory (error.log is there)."""
    subprocess.run(["bash", str(ROOT / "deploy" / "scripts" / "ensure-nginx.sh")], check=True)
    # nginx's workers run as nobody: everything they read or write must be reachable by it.
    workdir = Path(tempfile.mkdtemp(prefix="crh-nginx-"))
    workdir.chmod(0o755)
    web_root = workdir / "web"
    web_root.mkdir()
    (web_root / "index.html").write_text(index_html or "<!doctype html><title>CodeRunHub</title>")
    conf = render(workdir, port, gateway_ports, auth_port, web_root)
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(workdir)], stderr=subprocess.PIPE)
    try:
        wait_for_port(port, proc)
        yield workdir
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
