"""The real settings, plus one URL the load benchmark needs: its floor, a minimal view behind
the same middleware (session, login, second factor, role check). Used only by bench/load.py."""

from autologic.settings import *  # noqa: F403

ROOT_URLCONF = "bench.load.urls"
