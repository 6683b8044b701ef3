"""``python -m viralsim``: the command line (see :mod:`viralsim.app`)."""

from .app import main

if __name__ == "__main__":
    main()
