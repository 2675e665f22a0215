"""`python -m hoststand.sandbox`: run the vendor simulators until SIGTERM/SIGINT (see server.main)."""

from .server import main

raise SystemExit(main())
