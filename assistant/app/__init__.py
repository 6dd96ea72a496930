"""One run of MIA: the typed `Services` the front ends share (`services.py`) and the one lifecycle every
long-running command follows (`lifecycle.py`); `mia run` is its full preset (`run.py`)."""
