"""`python -m tryon.cli`: the `tryon` command line."""

import sys

from tryon.cli import main

sys.exit(main())
