"""`python -m aiopt`: the same as the `aiopt` command."""

from aiopt.cli import main

raise SystemExit(main())
