"""Prints a new admin password hash for ADMIN_PASSWORD_HASH (or the Key Vault secret admin-password-hash).

python -m devtools.hash_password            # asks twice, without echo
printf '%s' "$PASSWORD" | python -m devtools.hash_password   # reads stdin when it is not a terminal
"""

from __future__ import annotations

import getpass
import sys

from shared.admin.passwords import MAX_PASSWORD_LENGTH, hash_password

MIN_PASSWORD_LENGTH = 12


def main() -> int:
    if sys.stdin.isatty():
        password = getpass.getpass("New admin password: ")
        if getpass.getpass("Again: ") != password:
            print("The passwords differ; nothing was printed.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        print(f"Use a password of {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


if __name__ == "__main__":
    sys.exit(main())
