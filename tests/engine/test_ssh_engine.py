"""DOCKER_HOST=ssh://… (the README's example) against a real sshd on 127.0.0.1 that reaches the local
engine: connect, start a keyed container (the key goes over the ssh channel to its stdin), follow its
log, read its exit code. No mocks: OpenSSH's sshd with its own config and keys in a temporary folder.

The client side is the `ssh` command Docker's SDK runs (``use_ssh_client``); a shim first on PATH adds
``-F <our ssh_config>`` (IdentityFile, a known_hosts holding the test sshd's host key), as a user's
~/.ssh/config would. With CI=true a missing sshd is a failure (scripts/start-engine.sh installs it).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tao_tui.runtime.engine import Engine, RunSpec

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.path.exists("/usr/sbin/sshd") else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ssh_host(tmp_path, engine, monkeypatch):
    if SSHD is None or shutil.which("ssh") is None or os.geteuid() != 0:
        reason = "sshd/ssh missing or not root (scripts/start-engine.sh installs openssh-server as root)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true but the ssh:// engine test cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    d = tmp_path / "ssh"
    d.mkdir(mode=0o700)
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / name)], check=True)
    (d / "authorized_keys").write_text((d / "client_key.pub").read_text())
    port = _free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\nPidFile {d / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
        f"SetEnv DOCKER_HOST={os.environ.get('DOCKER_HOST', 'unix:///var/run/docker.sock')}\n"
        "PermitUserEnvironment no\nLogLevel ERROR\n")
    host_pub = (d / "host_key.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    (d / "ssh_config").write_text(
        f"Host 127.0.0.1\n  IdentityFile {d / 'client_key'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {d / 'known_hosts'}\n  StrictHostKeyChecking yes\n  BatchMode yes\n")
    shim = d / "bin"
    shim.mkdir()
    (shim / "ssh").write_text(f'#!/bin/sh\nexec {shutil.which("ssh")} -F {d / "ssh_config"} "$@"\n')
    (shim / "ssh").chmod(0o755)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation folder
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(d / "sshd_config")], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "sshd did not listen"
                time.sleep(0.1)
        monkeypatch.setenv("PATH", f"{shim}:{os.environ['PATH']}")
        yield f"ssh://root@127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_ssh_engine_runs_a_stage(ssh_host, tao_test_image, tmp_path, engine):
    from conftest import SESSION, TEST_LABEL

    monkey_key = "ssh-engine-test-key-8472"
    remote = Engine.connect(ssh_host)
    try:
        assert remote.has_image(tao_test_image)
        spec = RunSpec(image=tao_test_image,
                       argv=["detectnet_v2", "train", "-r", "/tmp/r", "-k", "@TAO_TUI_KEY@"],
                       labels={**TEST_LABEL, "tao-tui.test.session": SESSION}, gpus=None, network=False,
                       key=monkey_key)
        cid = remote.start(spec)
        log = tmp_path / "log"
        code = remote.follow(cid, log)
        assert code == 0, log.read_text()
        text = log.read_text()
        assert "key given" in text and monkey_key not in text
        assert monkey_key not in json.dumps(remote.client.api.inspect_container(cid))
        remote.remove(cid)
    finally:
        remote.close()
