"""Moving a file's bytes without holding Python's lock.

The close writes its workbook in one thread (pure Python) while another
appends DuckDB's COPY output to the package and ledger files. A copy loop in
Python (`shutil.copyfileobj`) takes the interpreter's lock back after every
chunk, and waits up to a switch interval (5 ms) for it each time: about 1 s
for a national month's 110 MB ledger file. The kernel copies it in one call.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO

# At most this much per copy_file_range call (Linux copies up to about 2 GB per call).
_CALL_BYTES = 1 << 30


def append_file(source: Path, target: BinaryIO) -> None:
    """Append every byte of `source` to the open binary file `target`, at its position (flushed first).

    The kernel copies (os.copy_file_range); where it cannot (another file system, an old kernel), Python does.
    """
    target.flush()
    with source.open("rb") as handle:
        try:
            while os.copy_file_range(handle.fileno(), target.fileno(), _CALL_BYTES):
                pass
        except OSError:  # EXDEV, ENOSYS, EINVAL...: copy what is left the portable way
            # copy_file_range moves both offsets by what it copied: both files stand where the copy stopped.
            shutil.copyfileobj(handle, target, length=16 << 20)
