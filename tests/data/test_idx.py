"""The IDX reader on files written here byte by byte."""

import gzip
import struct

import numpy as np
import pytest

from zoo.data.idx import read_idx


def _write_idx(path, array: np.ndarray, truncate: int = 0) -> None:
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    with gzip.open(path, "wb") as f:
        f.write(data[: len(data) - truncate])


def test_reads_shape_and_values(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "x.gz", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "x.gz"), array)


def test_truncated_file_is_reported(tmp_path):
    _write_idx(tmp_path / "x.gz", np.zeros((2, 3), dtype=np.uint8), truncate=1)
    with pytest.raises(ValueError, match="x.gz is truncated: 5 data bytes, expected 6"):
        read_idx(tmp_path / "x.gz")


def test_not_an_idx_file(tmp_path):
    (tmp_path / "x").write_bytes(b"PK\x03\x04 zip, not idx")
    with pytest.raises(ValueError, match="is not an IDX file"):
        read_idx(tmp_path / "x")
