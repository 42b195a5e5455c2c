"""`python -m pcaps_contract` runs the command line."""

import sys

from pcaps_contract._cli import main

sys.exit(main())
