"""The bus's messages: each topic kind's typed value and its codec, gathered in one registry (``registry.py``)."""
