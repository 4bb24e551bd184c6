"""The data directory holds the database, keys, mail and documents: for its owner only.

The folder is 0700 and every file in it 0600, whatever the umask: our own files are created
with those modes, SQLite's file is created 0600 before SQLite opens it (its -wal and -shm take
the database's mode), the embedded Redis is started under umask 077, and at start the folder
and everything already in it are brought back to those modes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create a folder (and its missing parents) readable by the owner only; tighten it."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):  # mkdir's parents=True would make them 0777 & ~umask
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)
    path = missing[0] if missing else path
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create an empty file readable by the owner only, unless it exists (then tighten it)."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    if stat.S_IMODE(path.stat().st_mode) != FILE_MODE:
        os.chmod(path, FILE_MODE)
    return path


def secure(data_dir: Path) -> None:
    """Make the data folder 0700 and everything already in it 0700 (folders) or 0600."""
    private_dir(data_dir)
    for root, dirs, files in os.walk(data_dir):
        for name in dirs + files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                continue  # never follow a link out of the folder
            wanted = DIR_MODE if stat.S_ISDIR(mode) else FILE_MODE
            if stat.S_IMODE(mode) != wanted:
                os.chmod(path, wanted)


def sqlite_file(url: str) -> Path | None:
    """Return the file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix) :] in ("", ":memory:"):
        return None
    return Path(url[len(prefix) :].split("?", 1)[0])


@contextmanager
def owner_only_umask() -> Iterator[None]:
    """Run a block under umask 077, so that a program it starts creates private files."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)
