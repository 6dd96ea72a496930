"""`python -m assistant.cli ...` is the `mia` command."""
import sys

from assistant.cli import main

sys.exit(main())
