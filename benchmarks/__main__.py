"""``python -m benchmarks``: see the package's docstring."""

import sys

from benchmarks.cli import main

sys.exit(main())
