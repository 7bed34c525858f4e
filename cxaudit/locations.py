"""Inputs named by URL: ``s3://bucket/exports/cases.csv``,
``gs://b/history/*.parquet``, ``file:///data/list.csv``, read through
fsspec with whatever backend the user installed (s3fs, gcsfs, adlfs, …).

A :class:`Url` stands where a :class:`~pathlib.Path` stands for a local
file: it has the ``name``, ``suffix`` and ``parent`` the readers look at,
and :mod:`cxaudit.files` and :mod:`cxaudit.parts` open, check and list it
through fsspec. Nothing else needs to know where the bytes come from, so
rows, row numbers, byte fidelity and errors are those of a local file.

Why a class of our own instead of ``Path``: ``Path("s3://b/k")`` is
``s3:/b/k``, a local path that does not exist. And why ``str()`` is not the
URL: URLs carry secrets (``https://user:pw@host``, a presigned
``?X-Amz-Signature=…``), and every message and report prints paths, so the
printed form masks them; :attr:`Url.text` is what is opened.

Only inputs may be URLs: ``--out``, ``--baseline`` and the rules file are
local (outputs are swapped in with renames, which object stores lack).
"""

from __future__ import annotations

import io
import os
import re
import stat
from pathlib import Path, PurePosixPath
from typing import IO, Any

from cxaudit.errors import CxauditError

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")
_SECRET = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+://[^/@:]*):[^/@]*@")
_BACKENDS = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
    "http": "aiohttp",
    "https": "aiohttp",
    "hdfs": "pyarrow",
    "sftp": "paramiko",
}


def is_url(text: object) -> bool:
    """Whether ``text`` is written as a URL (``scheme://…``; a Windows
    drive ``C:\\`` has a one-letter scheme and no ``//``)."""
    return isinstance(text, Url) or (isinstance(text, str) and bool(_URL.match(text)))


def location(given: str | os.PathLike[str]) -> Path | Url:
    """The input ``given`` names: a :class:`Url`, or a local path."""
    if isinstance(given, Url):
        return given
    text = os.fspath(given)
    return Url(text) if is_url(text) else (given if isinstance(given, Path) else Path(text))


def refuse_url(given: str, what: str) -> Path:
    """``given`` as a local path; exit 2 for a URL (outputs, rules, baselines
    are local)."""
    if is_url(given):
        raise CxauditError(
            f"{what} {shown(given)}: must be a local path (URLs are read for the list and "
            "the sources only); mount the bucket or copy the file"
        )
    return Path(given)


def shown(text: str) -> str:
    """``text`` with a URL's password and query values masked."""
    text = _SECRET.sub(r"\1:***@", text)
    head, sep, query = text.partition("?")
    if not sep or not _URL.match(text):
        return text
    masked = "&".join(
        f"{k}=***" if v else k for k, _, v in (p.partition("=") for p in query.split("&"))
    )
    return f"{head}?{masked}"


class _RemoteFile(io.RawIOBase):
    """An fsspec file whose failures are OSErrors: the readers turn those
    into one line naming the file, and a backend's own exception types
    (botocore's, aiohttp's) would otherwise surface as internal errors."""

    def __init__(self, url: Url, fh: Any) -> None:
        self._url, self._fh = url, fh

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        try:
            return self._fh.read(size)
        except OSError:
            raise
        except Exception as exc:
            raise OSError(f"{type(exc).__name__}: {exc}") from None

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()

    def size(self) -> int:
        return self._fh.size

    def close(self) -> None:
        try:
            self._fh.close()
        finally:
            super().close()


class Url:
    """An input file or folder (or glob) named by an fsspec URL."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    # -- the parts of a name the readers look at --------------------------------
    @property
    def protocol(self) -> str:
        match = _URL.match(self.text)
        assert match is not None
        return match.group(1).lower()

    @property
    def _rest(self) -> str:
        return self.text[len(self.protocol) + 3 :]

    @property
    def name(self) -> str:
        return self._rest.rstrip("/").rpartition("/")[2]

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix

    @property
    def suffixes(self) -> list[str]:
        return PurePosixPath(self.name).suffixes

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem

    @property
    def parent(self) -> Url:
        rest = self._rest.rstrip("/")
        head = rest.rpartition("/")[0] if "/" in rest else rest
        return Url(f"{self.text[: len(self.protocol) + 3]}{head}")

    def __truediv__(self, name: str) -> Url:
        return Url(f"{self.text.rstrip('/')}/{name}")

    def with_name(self, name: str) -> Url:
        return self.parent / name

    def is_absolute(self) -> bool:
        return True

    def is_symlink(self) -> bool:
        return False

    def __str__(self) -> str:
        return shown(self.text)

    def __repr__(self) -> str:
        return f"Url({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Url) and other.text == self.text

    def __hash__(self) -> int:
        return hash(("url", self.text))

    def __reduce__(self) -> tuple[Any, ...]:  # sent to Dask workers as its text
        return (Url, (self.text,))

    # -- the file system behind it ------------------------------------------------
    def filesystem(self) -> tuple[Any, str]:
        """fsspec's file system for this URL and the path within it; exit 2
        naming the package to install when its backend is missing."""
        try:
            import fsspec
        except ImportError:
            raise CxauditError(
                f"{self}: reading URLs needs fsspec; pip install fsspec (and the backend for "
                f"{self.protocol}://)"
            ) from None
        try:
            return fsspec.core.url_to_fs(self.text)
        except ImportError as exc:
            package = _BACKENDS.get(self.protocol, f"the fsspec backend for {self.protocol}://")
            raise CxauditError(
                f"{self}: {self.protocol}:// needs {package}, which is not installed; "
                f"pip install {package.split()[0] if ' ' not in package else 'it'} ({exc})"
            ) from None
        except ValueError as exc:
            raise CxauditError(
                f"{self}: {self.protocol}:// is not a protocol fsspec knows ({exc}); check the "
                "URL, or install the package that provides it"
            ) from None
        except Exception as exc:
            raise CxauditError(f"{self}: cannot be opened ({type(exc).__name__}: {exc})") from None

    def local(self) -> Path | None:
        """The local path of a ``file://`` URL (to compare with outputs)."""
        if self.protocol not in ("file", "local"):
            return None
        return Path(self.filesystem()[1])

    def _ask(self, what: str, *args: Any) -> Any:
        fs, path = self.filesystem()
        try:
            return getattr(fs, what)(path, *args)
        except OSError:
            raise
        except Exception as exc:
            raise OSError(f"{type(exc).__name__}: {exc}") from None

    def stat(self) -> os.stat_result:
        """A regular file's or a folder's status, as ``os.stat`` gives it
        (size and type only)."""
        info = self._ask("info")
        kind = stat.S_IFDIR if info.get("type") == "directory" else stat.S_IFREG
        if info.get("type") not in ("file", "directory"):
            kind = stat.S_IFIFO  # a link or something else: refused as not a regular file
        return os.stat_result((kind | 0o444, 0, 0, 1, 0, 0, int(info.get("size") or 0), 0, 0, 0))

    def exists(self) -> bool:
        try:
            return bool(self._ask("exists"))
        except OSError:
            return False

    def is_dir(self) -> bool:
        try:
            return bool(self._ask("isdir"))
        except OSError:
            return False

    def is_file(self) -> bool:
        try:
            return bool(self._ask("isfile"))
        except OSError:
            return False

    def open(self) -> IO[bytes]:
        fs, path = self.filesystem()
        try:
            fh = fs.open(path, "rb")
        except OSError:
            raise
        except Exception as exc:
            raise OSError(f"{type(exc).__name__}: {exc}") from None
        return io.BufferedReader(_RemoteFile(self, fh), 1 << 20)

    def children(self) -> list[Url]:
        """A folder's entries (files and folders), unsorted."""
        names = self._ask("ls", False)
        base = self.text.rstrip("/")
        return [Url(f"{base}/{str(n).rstrip('/').rpartition('/')[2]}") for n in names]

    def glob(self) -> list[Url]:
        """The files this URL's pattern matches, named as the user wrote the
        pattern's folder (``memory://b/x`` stays that, not ``memory:///b/x``)."""
        fs = self.filesystem()[0]
        found = self._ask("glob")
        magic = min((i for i, c in enumerate(self.text) if c in "*?["), default=len(self.text))
        base = self.text[: self.text.rfind("/", 0, magic)]
        stripped = str(fs._strip_protocol(base)).rstrip("/")
        out = []
        for name in found:
            name = str(name)
            if stripped and name.startswith(stripped + "/"):
                out.append(Url(base + name[len(stripped) :]))
            else:
                out.append(Url(fs.unstrip_protocol(name)))
        return out
