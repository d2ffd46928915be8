"""`python -m skimscan` runs the command-line interface."""

from skimscan.cli import main

raise SystemExit(main())
