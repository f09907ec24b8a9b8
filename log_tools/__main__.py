"""`python -m log_tools` runs the `ktape` command."""

import sys

from log_tools.cli import main

sys.exit(main())
