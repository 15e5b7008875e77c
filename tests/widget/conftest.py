"""Widget fixtures: the shared app (``tests/conftest.py``) keeps its demo key file in a temp folder."""
