"""The voice front: audio source -> endpointer -> recognisers -> parser -> dialogue -> engine -> speaker
(`loop.py`), the typed-text loop, the `mia run` voice front end (`front.py`) and `mia listen` (`listen.py`)."""
