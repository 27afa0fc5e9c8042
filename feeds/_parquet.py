"""Bounds on a Parquet file read from its footer, before any column is decoded.

A Parquet footer can claim a billion rows, or pages that inflate far beyond the file
(a column of one repeated long string compresses to nothing); `parquet_problem` reads
only the footer and says what is wrong, so each reader raises its own error type
naming the file.
"""

from __future__ import annotations

from pathlib import Path

from maasmix.feeds import limits as feed_limits

__all__ = ["parquet_problem"]


def parquet_problem(path: Path, *, max_rows: int) -> str | None:
    """What makes ``path`` unreadable within the limits, or None.

    Checked: the footer parses; at most ``max_rows`` rows; the columns' uncompressed
    size (as the footer declares it, summed over row groups) at most the feed limit
    ``max_member_bytes`` and at most ``max_compression_ratio`` times the file's size
    beyond ``ratio_floor_bytes``; at most ``max_columns`` columns.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    limits = feed_limits.current()
    try:
        meta = pq.ParquetFile(path).metadata
        rows = int(meta.num_rows)
        columns = int(meta.num_columns)
        inflated = sum(
            int(meta.row_group(g).column(c).total_uncompressed_size)
            for g in range(meta.num_row_groups)
            for c in range(min(columns, limits.max_columns))
        )
    except (pa.ArrowException, OSError, ValueError, IndexError) as exc:
        return f"not a readable Parquet file: {exc}"
    if rows > max_rows or rows < 0:
        return f"the footer claims {rows} rows, more than max_rows={max_rows}"
    if columns > limits.max_columns:
        return f"{columns} columns, more than {limits.max_columns} (feed limit max_columns)"
    if inflated > limits.max_member_bytes:
        return (
            f"its columns inflate to {inflated} bytes, more than {limits.max_member_bytes} "
            "(feed limit max_member_bytes)"
        )
    size = max(path.stat().st_size, 1)
    if inflated > limits.ratio_floor_bytes and inflated / size > limits.max_compression_ratio:
        return (
            f"compressed {inflated / size:.0f}:1, more than "
            f"{limits.max_compression_ratio:g}:1 (feed limit max_compression_ratio)"
        )
    return None
