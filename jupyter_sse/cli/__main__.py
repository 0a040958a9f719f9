"""``python -m jupyter_sse.cli``: the same as ``jupyter sse``."""

import sys

from . import main

sys.exit(main())
