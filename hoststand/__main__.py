"""`python -m hoststand` runs the command line."""

from hoststand.cli import main

raise SystemExit(main())
