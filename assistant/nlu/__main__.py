"""`python -m assistant.nlu build [--force]` compiles the parser's modules with mypyc (what `make setup` runs);
`python -m assistant.nlu status` says which build runs. See assistant/nlu/native.py."""
from __future__ import annotations

from assistant.nlu.native import main

raise SystemExit(main())
