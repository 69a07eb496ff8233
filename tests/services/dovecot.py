"""A private Dovecot 2.3 instance (IMAP + LMTP) on free loopback ports, Maildir under a temp directory.

Follows /work/shared/recipes/test-services.md: own config file, ``dovecot -F -c FILE``, ``ssl = no``,
mail owned by an unprivileged ``vmail`` user, every parent directory traversable.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

USER = "support@example.jp"
PASSWORD = "password"


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on and that this test process has not handed out before: once a probe socket
    is closed the kernel may give the same port to the next probe, and two servers of one worker (health and
    Slack) then collide (seen once in CI: a worker never became healthy)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)


def _ensure_vmail() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam("vmail")
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "vmail"],
            check=True,
        )
        entry = pwd.getpwnam("vmail")
    return entry.pw_uid, entry.pw_gid


CONF = """base_dir  = {d}/run
state_dir = {d}/state
log_path  = {d}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_uid = vmail
mail_gid = vmail
mail_location = maildir:{d}/mail/%d/%n/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = home={d}/mail/%d/%n
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
"""


@dataclass
class Dovecot:
    directory: Path
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    lmtp_port: int = field(default_factory=free_port)
    user: str = USER
    password: str = PASSWORD
    process: subprocess.Popen[bytes] | None = None

    @property
    def maildir(self) -> Path:
        local, domain = self.user.split("@")
        return self.directory / "mail" / domain / local / "Maildir"

    def configure(self) -> None:
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        d.chmod(0o755)  # dovecot/vmail must traverse every parent directory (mkdtemp gives 0700)
        uid, gid = _ensure_vmail()
        (d / "mail").mkdir(exist_ok=True)
        os.chown(d / "mail", uid, gid)
        (d / "users").write_text(
            f"{self.user}:{{PLAIN}}{self.password}\nyamada@example.com:{{PLAIN}}password\n"
        )
        (d / "dovecot.conf").write_text(CONF.format(d=d, imap=self.port, lmtp=self.lmtp_port))

    def start(self) -> None:
        binary = dovecot_binary()
        assert binary, "dovecot is not installed"
        with open(self.directory / "stdout.log", "ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [binary, "-F", "-c", str(self.directory / "dovecot.conf")], stdout=log, stderr=log
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start: " + (self.directory / "dovecot.log").read_text()[-2000:])

    def stop(self) -> None:
        """Stop the master (and with it every imap process: open connections drop)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        # The imap worker processes exit shortly after the master; wait until the port is free.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                return

    def restart(self) -> None:
        self.stop()
        self.start()
