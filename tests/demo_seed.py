"""The demo data for a server the tests start, with one real password hash for all.

`manage.py seed_demo --password PW` hashes each demo user's password with the production
hasher (PBKDF2, about 0.3 s of a core each, eight users) and runs the system checks
first. A server the tests start needs only what the users sign in with: the rows
`seed_demo` makes, and a password the server's own hasher accepts. So the data is
`seed_demo`'s, made with the tests' fast hasher, and every demo user then gets the same
PBKDF2 hash of the password (one hash: the server still checks it with the production
hasher at every sign-in, as it would `seed_demo`'s). Their authenticator devices are
`seed_demo`'s own (the published demo keys).

In the test process: `give_demo_users_the_password` after the `demo_seeded` data. For a
server on another database (the embedded SQLite default), as a process of its own:
`python -m tests.demo_seed PASSWORD` with the server's environment."""

from __future__ import annotations

import sys

# tests/shared_data.TEST_PASSWORD_HASHERS (not imported: it brings pytest into the process).
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def give_demo_users_the_password(password: str) -> None:
    """Every demo user signs in with `password`, hashed once with the production hasher."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from bokvar.demo import DEMO_USERS
    from bokvar.models import User

    hasher = PBKDF2PasswordHasher()
    encoded = hasher.encode(password, hasher.salt())
    names = [username for username, *_rest in DEMO_USERS]
    updated = User.objects.filter(username__in=names).update(password=encoded)
    assert updated == len(names), f"{updated} of {len(names)} demo users found"


def seed_with_password(password: str) -> None:
    """`seed_demo --password PASSWORD` on the configured database, one hash for all."""
    import io

    from django.core.management import call_command
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("seed_demo", "--password", password, stdout=io.StringIO())
    give_demo_users_the_password(password)


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")
    django.setup()
    seed_with_password(sys.argv[1])
