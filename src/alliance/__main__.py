"""``python -m alliance``: the ``alliance`` command."""

from alliance.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
