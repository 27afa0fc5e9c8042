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


def parquet_problem(
    path: Path, *, max_rows: int, max_text_bytes: int, text_limit: str
) -> str | None:
    """What makes ``path`` unreadable within the limits, or None.

    Checked: the footer parses; at most ``max_rows`` rows; the columns' uncompressed
    size (as the footer declares it, summed over row groups) at most the feed limit
    ``max_member_bytes`` and at most ``max_compression_ratio`` times the file's size
    beyond ``ratio_floor_bytes``; at most ``max_columns`` columns; then the text and
    binary columns, read dictionary-coded (compact), decode to at most
    ``max_text_bytes`` (``text_limit`` names that bound in the message): the footer's
    sizes are those of the encoded pages, and one long value repeated in every row is a
    few bytes there and gigabytes decoded.
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
    try:
        decoded = _decoded_text_bytes(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        return f"not a readable Parquet file: {exc}"
    if decoded > max_text_bytes:
        return (
            f"its text columns decode to {decoded} bytes, more than {max_text_bytes} ({text_limit})"
        )
    return None


def _decoded_text_bytes(path: Path) -> int:
    """Bytes the string and binary columns of ``path`` take decoded, from a read that
    keeps them dictionary-coded (the dictionary and 4-byte indices, never the values
    repeated)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    schema = pq.ParquetFile(path).schema_arrow
    names = [
        field.name
        for field in schema
        if pa.types.is_string(field.type)
        or pa.types.is_large_string(field.type)
        or pa.types.is_binary(field.type)
        or pa.types.is_large_binary(field.type)
    ]
    if not names:
        return 0
    table = pq.ParquetFile(path, read_dictionary=names).read(columns=names)
    total = 0
    for name in names:
        for chunk in table.column(name).chunks:
            if not isinstance(chunk, pa.DictionaryArray) or len(chunk) == 0:
                continue
            lengths = pc.binary_length(chunk.dictionary).fill_null(0)
            taken = pc.take(lengths, chunk.indices.fill_null(0))
            total += int(pc.sum(taken.cast(pa.int64())).as_py() or 0)
    return total
