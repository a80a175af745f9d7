"""In-memory fakes of the application's ports, so a use case runs in a unit test without a database.

Each satisfies its Protocol by shape (no inheritance, no mock library); a typed assignment at the end of each
module makes mypy prove it (`mypy` checks this package beside src).
"""
