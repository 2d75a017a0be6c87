"""Writing an output folder all at once, so a failed run never leaves half a folder.

Both the main job (``reproduce``) and saved fits (``io.save``) write into a hidden sibling
folder and rename it into place only when everything is written; an existing folder is
replaced only after the new one is complete, and only when the caller's check allows it.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["staged_folder"]


@contextmanager
def staged_folder(target: Path, check: Callable[[Path], None]) -> Iterator[Path]:
    """Yield an empty staging folder that replaces ``target`` when the block succeeds.

    Parameters
    ----------
    target : Path
        The folder to write.
    check : callable
        Raises if ``target`` may not be (re)placed; called before writing and again just
        before the rename, since the folder may have appeared in the meantime.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with staged_folder(root / "out", check=lambda p: None) as staging:
    ...     _ = (staging / "a.txt").write_text("done")
    >>> sorted(p.name for p in root.iterdir())
    ['out']
    """
    check(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # a sibling, so the final rename stays on one file system
    staging = target.parent / f".{target.name}.staging-{uuid.uuid4().hex[:12]}"
    staging.mkdir()
    try:
        yield staging
        check(target)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
