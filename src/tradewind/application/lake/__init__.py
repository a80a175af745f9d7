"""The lake sink: market data from a durable queue into Parquet files on a folder or an S3-compatible store."""
