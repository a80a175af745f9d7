"""The lake: market data as Parquet files on a folder or an S3-compatible bucket (pyarrow loads per module)."""
