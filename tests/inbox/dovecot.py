"""A real IMAP server for the tests: Debian's dovecot (bin/test installs ``dovecot-imapd`` as
it installs Chromium), started on a free loopback port with its own configuration, users
and mail under a temporary folder, and stopped afterwards. As root, mail belongs to
``nobody`` (dovecot refuses root's); otherwise everything runs as the current user."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "support", "imap-test-password"

CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 50
}}
"""


@dataclass
class Server:
    host: str
    port: int
    user: str
    password: str
    process: subprocess.Popen
    root: Path

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def available() -> bool:
    return os.path.exists(DOVECOT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(root: Path) -> Server:
    root.mkdir(parents=True, exist_ok=True)
    if os.getuid() == 0:
        mail_user = pwd.getpwnam("nobody")
        login_user, internal_user = "dovenull", "dovecot"
    else:
        mail_user = pwd.getpwuid(os.getuid())
        login_user = internal_user = mail_user.pw_name
    for name in ("run", "state", "mail", "home"):
        (root / name).mkdir(exist_ok=True)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(
        CONFIG.format(
            root=root,
            port=port,
            uid=mail_user.pw_uid,
            gid=mail_user.pw_gid,
            login_user=login_user,
            internal_user=internal_user,
        )
    )
    if os.getuid() == 0:
        root.chmod(0o755)
        (root / "users").chmod(0o644)
        for name in ("mail", "home"):
            os.chown(root / name, mail_user.pw_uid, mail_user.pw_gid)
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = Server("127.0.0.1", port, USER, PASSWORD, process, root)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace")
            raise RuntimeError(f"dovecot exited: {output}\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return server
        except OSError:
            time.sleep(0.05)
    stop(server)
    raise RuntimeError(f"dovecot did not answer on port {port}\n{server.log()}")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
