"""``python -m office`` is ``kiosk-office``."""

import sys

from .cli import main

sys.exit(main())
