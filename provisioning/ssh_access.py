"""SSH for the technician: the ``[ssh] authorized_keys`` check and what sshd is given.

Root logs in with the keys listed in the boot file and never with a password;
no keys, no SSH.  A pasted private key or a line cut in two is caught here,
before it could lock the technician out.
"""

from __future__ import annotations

import base64
import struct
from typing import List, Optional

from .layout import MANAGED

__all__ = ["KEY_TYPES", "check_public_key", "sshd_conf", "authorized_keys"]

KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


def check_public_key(line: str) -> Optional[str]:
    """What is wrong with one ``authorized_keys`` line, or None."""
    parts = line.strip().split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        return (f"must be a public key line starting with one of {', '.join(KEY_TYPES[:3])}, ... "
                f"(the contents of id_ed25519.pub, not the private key)")
    if "\n" in line.strip():
        return "must be one line"
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        inner = blob[4:4 + length].decode("ascii")
    except Exception:  # noqa: BLE001 - anything undecodable is the same mistake
        return f"the {parts[0]} key's data is not valid base64 (was the line cut or wrapped?)"
    if inner != parts[0]:
        return f"says {parts[0]} but holds a {inner} key"
    return None


def sshd_conf() -> str:
    """sshd's drop-in: keys only, root by key only."""
    return (f"{MANAGED}PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            f"PermitRootLogin prohibit-password\n")


def authorized_keys(keys: List[str]) -> Optional[str]:
    """root's authorized_keys for these keys; None (the file goes) when there are none."""
    return (MANAGED + "\n".join(keys) + "\n") if keys else None
