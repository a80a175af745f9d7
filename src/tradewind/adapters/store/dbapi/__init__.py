"""Read-only access to the TWAP tables through the plain DB-API driver (``sqlite3``, ``psycopg``), without SQLAlchemy.

The reading ``twap`` verbs use it on a schema at head only (``open_at_head``); its SELECTs repeat the SQLAlchemy
repositories' and its rows go through the same mappers (``store/rows.py``) and decoders (``store/decimals.py``).
"""

from tradewind.adapters.store.dbapi.connection import DbapiDatabase, open_at_head
from tradewind.adapters.store.dbapi.readers import DbapiLogReads, DbapiMidHistory, DbapiTwapReads

__all__ = ["DbapiDatabase", "DbapiLogReads", "DbapiMidHistory", "DbapiTwapReads", "open_at_head"]
