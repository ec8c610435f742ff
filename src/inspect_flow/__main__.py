"""``python -m inspect_flow``: the ``flow`` CLI (a venv check runs it this way in the venv)."""

from inspect_flow._cli.main import main

if __name__ == "__main__":
    main()
