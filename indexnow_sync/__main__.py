"""``python -m indexnow_sync``: the same CLI as the ``indexnow-sync`` command."""

from indexnow_sync.cli import main

if __name__ == "__main__":
    main()
