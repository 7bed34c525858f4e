"""Inputs named by URL: ``s3://bucket/exports/cases.csv``,
``gs://b/history/*.parquet``, ``file:///data/list.csv``, read through
fsspec with whatever backend the user installed (s3fs, gcsfs, adlfs, …).

A :class:`Url` stands where a :class:`~pathlib.Path` stands for a local
file: it has the ``name``, ``suffix`` and ``parent`` the readers look at,
and :mod:`cxaudit.inputs.files` and :mod:`cxaudit.inputs.parts` open, check and list it
through fsspec. Nothing else needs to know where the bytes come from, so
rows, row numbers, byte fidelity and errors are those of a local file.

Why a class of our own instead of ``Path``: ``Path("s3://b/k")`` is
``s3:/b/k``, a local path that does not exist. And why ``str()`` is not the
URL: URLs carry secrets (``https://user:pw@host``, a presigned
``?X-Amz-Signature=…``), and every message and report prints paths, so the
printed form masks them; :attr:`Url.text` is what is opened.

Only inputs may be URLs: ``--out``, ``--baseline``, ``check --format`` files
and the rules file are local (outputs are swapped in with renames, which
object stores lack); :func:`refuse_url` says so.
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
_ANY_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+://[^\s'\"<>]*")
# A path the command line's Path type made of a URL: ``s3://b/k`` is ``s3:/b/k``.
_COLLAPSED = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/")
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
    drive ``C:\\`` has a one-letter scheme and no ``//``), or as fsspec's
    chain of URLs (``simplecache::s3://…``), which :class:`Url` refuses."""
    if isinstance(text, Url):
        return True
    return isinstance(text, str) and (bool(_URL.match(text)) or _is_chain(text))


def _is_chain(text: str) -> bool:
    """``simplecache::s3://b/k``, ``zip://x.csv::file:///a.zip`` (a local
    file named ``notes::x.csv`` is not one: no ``://``)."""
    head = text.partition("::")[0]
    return (
        "::" in text
        and "://" in text
        and bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]+(://.*)?", head))
    )


def location(given: str | os.PathLike[str]) -> Path | Url:
    """The input ``given`` names: a :class:`Url`, or a local path."""
    if isinstance(given, Url):
        return given
    text = os.fspath(given)
    return Url(text) if is_url(text) else (given if isinstance(given, Path) else Path(text))


def refuse_url(given: str | os.PathLike[str], what: str) -> Path:
    """``given`` as a local path; exit 2 for a URL (outputs, rules files,
    baselines and --format files are local). A ``Path`` the command line
    made of a URL (``s3:/b/k``) is caught too, unless its first part is
    there (a folder named ``cfg:``); text given as text is a URL only with
    ``://``."""
    text = os.fspath(given)
    collapsed = (
        isinstance(given, Path)
        and _COLLAPSED.match(text)
        and not os.path.lexists(text.partition("/")[0])
    )
    if is_url(text) or collapsed:  # a local folder named "cfg:" stays a folder
        url = _COLLAPSED.sub(lambda m: m.group() + "/", text) if not is_url(text) else text
        joiner = "" if what.endswith("=") else " "
        raise CxauditError(
            f"{what}{joiner}{shown(url)}: must be a local path (URLs are read for the list and "
            "the sources only); mount the bucket or copy the file"
        )
    return Path(given)


def _mask(url: str) -> str:
    """One URL with its password (or a token standing alone before ``@``)
    and its query values masked. A password may hold ``/`` or ``@`` (AWS
    secret keys do), so everything from the first ``:`` after the scheme to
    the last ``@`` is masked; masking a path by mistake costs nothing."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    head, qmark, query = rest.partition("?")
    at = head.rfind("@")
    if at != -1:
        colon = head.find(":")
        if -1 < colon < at:
            head = f"{head[:colon]}:***{head[at:]}"
        elif "/" not in head[:at]:
            head = f"***{head[at:]}"
    if qmark:
        parts = (p.partition("=") for p in query.split("&"))
        query = "&".join(f"{k}=***" if eq else k for k, eq, _ in parts)
    return f"{scheme}://{head}{qmark}{query}"


def scrub(text: str) -> str:
    """``text`` (a message, an exception's text) with every URL in it masked."""
    if "://" not in text:
        return text
    return _ANY_URL.sub(lambda m: _mask(m.group()), text)


def shown(text: str) -> str:
    """``text`` as cxaudit prints it: URLs in it masked (see :func:`_mask`)."""
    return scrub(text)


def _os_error(exc: BaseException) -> OSError:
    """A backend's failure as an OSError with its URLs masked; not found and
    permission denied keep their kind (the messages differ)."""
    for kind in (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError):
        if isinstance(exc, kind):
            return kind(scrub(str(exc)))
    return OSError(scrub(f"{type(exc).__name__}: {exc}"))


class _RemoteFile(io.RawIOBase):
    """An fsspec file whose failures are OSErrors: the readers turn those
    into one line naming the file, and a backend's own exception types
    (botocore's, aiohttp's) would otherwise surface as internal errors."""

    def __init__(self, fh: Any, fs: Any) -> None:
        self._fh, self._fs = fh, fs  # the file system kept alive while its file is read

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        return self._call(self._fh.read, size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._call(self._fh.seek, offset, whence)

    def tell(self) -> int:
        return self._call(self._fh.tell)

    def size(self) -> int:
        return self._call(lambda: self._fh.size)

    @staticmethod
    def _call(what: Any, *args: Any) -> Any:
        try:
            return what(*args)
        except Exception as exc:
            raise _os_error(exc) from None

    def close(self) -> None:
        try:
            self._fh.close()
        finally:
            super().close()


class Url:
    """An input file or folder (or glob) named by an fsspec URL.

    ``text`` is the URL as given (its scheme lower-cased), or, for a file a
    folder or glob listed, the folder's URL and the file's name. A listed
    file is opened by the path its file system listed (``path``), never by
    parsing its name again: fsspec would read ``part::b.csv`` as a chain.
    """

    __slots__ = ("base", "path", "text")

    def __init__(self, text: str, base: str | None = None, path: str | None = None) -> None:
        match = _URL.match(text)
        if match is not None:
            text = match.group(1).lower() + text[len(match.group(1)) :]
        self.text, self.base, self.path = text, base, path

    # -- the parts of a name the readers look at --------------------------------
    @property
    def protocol(self) -> str:
        match = _URL.match(self.text)
        return match.group(1) if match is not None else self.text.partition(":")[0].lower()

    @property
    def _rest(self) -> str:
        """The URL after ``scheme://``, without a web address's query or
        fragment (a presigned URL's ``?X-Amz-Signature=…``): the file's name
        decides its format."""
        rest = self.text[len(self.protocol) + 3 :]
        if self.protocol in ("http", "https"):
            rest = rest.partition("#")[0].partition("?")[0]
        return rest

    @property
    def pattern(self) -> str:
        """Where glob characters count (not in a web address's query)."""
        return self._rest

    @property
    def name(self) -> str:
        return self._rest.rstrip("/").rpartition("/")[2]

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix if self.name else ""

    @property
    def suffixes(self) -> list[str]:
        return PurePosixPath(self.name).suffixes if self.name else []

    @property
    def stem(self) -> str:
        return PurePosixPath(self.name).stem if self.name else ""

    @property
    def parent(self) -> Url:
        rest = self._rest.rstrip("/")
        head = rest.rpartition("/")[0] if "/" in rest else rest
        return Url(f"{self.text[: len(self.protocol) + 3]}{head}")

    def __truediv__(self, name: str) -> Url:
        return Url(self._joined(name))

    def _joined(self, name: str) -> str:
        return f"{self.text}{name}" if self.text.endswith("/") else f"{self.text}/{name}"

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
        return isinstance(other, Url) and (other.text, other.path) == (self.text, self.path)

    def __hash__(self) -> int:
        return hash(("url", self.text, self.path))

    def __reduce__(self) -> tuple[Any, ...]:  # sent to Dask workers as its text
        return (Url, (self.text, self.base, self.path))

    # -- the file system behind it ------------------------------------------------
    def filesystem(self) -> tuple[Any, str]:
        """fsspec's file system for this URL and the path within it; exit 2
        naming the package to install when its backend is missing, and for
        what cxaudit does not read (chains of URLs, a relative file://)."""
        if _is_chain(self.base or self.text):  # a listed file's own name may hold "::"
            raise CxauditError(
                f"{self}: chained fsspec URLs (simplecache::, zip://…::) are not read; give "
                "the store's own URL (s3://…, gs://…), or copy the file"
            )
        if self.protocol == "file":
            where = self._rest
            if where.startswith("localhost/"):
                where = where[len("localhost") :]
            if not where.startswith("/"):
                raise CxauditError(
                    f"{self}: a file:// URL names an absolute path (file:///data/list.csv, "
                    "three slashes); give the path itself for a relative one"
                )
        try:
            import fsspec
        except ImportError:
            raise CxauditError(
                f"{self}: reading URLs needs fsspec; pip install fsspec (and the backend for "
                f"{self.protocol}://)"
            ) from None
        try:
            fs, path = fsspec.core.url_to_fs(self.base or self._local_text())
        except ImportError as exc:
            package = _BACKENDS.get(self.protocol)
            todo = f"pip install {package}" if package else "install the fsspec backend for it"
            raise CxauditError(
                f"{self}: {self.protocol}:// needs {package or 'a backend'}, which is not "
                f"installed; {todo} ({scrub(str(exc))})"
            ) from None
        except ValueError as exc:
            raise CxauditError(
                f"{self}: {self.protocol}:// is not a protocol fsspec knows "
                f"({scrub(str(exc))}); check the URL, or install the package that provides it"
            ) from None
        except Exception as exc:  # a backend refusing its options
            raise CxauditError(f"{self}: cannot be opened ({_os_error(exc)})") from None
        return fs, (self.path if self.path is not None else path)

    def _local_text(self) -> str:
        if self.protocol == "file" and self._rest.startswith("localhost/"):
            return "file://" + self._rest[len("localhost") :]
        return self.text

    def local(self) -> Path | None:
        """The local path of a ``file://`` URL (to compare with outputs)."""
        if self.protocol not in ("file", "local"):
            return None
        return Path(self.filesystem()[1])

    def _ask(self, what: str, *args: Any) -> Any:
        fs, path = self.filesystem()
        try:
            return getattr(fs, what)(path, *args)
        except Exception as exc:
            raise _os_error(exc) from None

    def _info(self) -> dict[str, Any] | None:
        """The entry's info, None when there is none. Only "not found"
        means none: a store failing to answer is an error, never taken as
        a missing file (a missing sidecar changes which rules apply)."""
        try:
            return self._ask("info")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CxauditError(f"{self}: cannot be read ({exc}); check the URL") from None

    def stat(self) -> os.stat_result:
        """A regular file's or a folder's status, as ``os.stat`` gives it
        (size and type only)."""
        info = self._ask("info")
        kind = stat.S_IFDIR if info.get("type") == "directory" else stat.S_IFREG
        if info.get("type") not in ("file", "directory"):
            kind = stat.S_IFIFO  # a link or something else: refused as not a regular file
        return os.stat_result((kind | 0o444, 0, 0, 1, 0, 0, int(info.get("size") or 0), 0, 0, 0))

    def exists(self) -> bool:
        return self._info() is not None

    def is_dir(self) -> bool:
        info = self._info()
        return info is not None and info.get("type") == "directory"

    def is_file(self) -> bool:
        info = self._info()
        return info is not None and info.get("type") == "file"

    def open(self) -> IO[bytes]:
        fs, path = self.filesystem()
        try:
            fh = fs.open(path, "rb")
        except Exception as exc:
            raise _os_error(exc) from None
        return io.BufferedReader(_RemoteFile(fh, fs), 1 << 20)

    def _listed(self, path: str, display: str) -> Url:
        """A file this folder or glob listed: opened by ``path``, shown as
        ``display``."""
        return Url(display, base=self.base or self._local_text(), path=path)

    def children(self) -> list[Url]:
        """A folder's entries (files and folders), unsorted."""
        names = self._ask("ls", False)
        return [
            self._listed(str(n), self._joined(str(n).rstrip("/").rpartition("/")[2])) for n in names
        ]

    def glob(self) -> list[Url]:
        """The files this URL's pattern matches, named as the user wrote the
        pattern's folder (``memory://b/x`` stays that, not ``memory:///b/x``)."""
        fs = self.filesystem()[0]
        found = self._ask("glob")
        magic = min((i for i, c in enumerate(self.text) if c in "*?["), default=len(self.text))
        base = self.text[: self.text.rfind("/", 0, magic)]
        stripped = str(fs._strip_protocol(self._local_text()[: len(base)])).rstrip("/")
        out = []
        for name in map(str, found):
            if stripped and name.startswith(stripped + "/"):
                display = base + name[len(stripped) :]
            else:
                display = fs.unstrip_protocol(name)
            out.append(self._listed(name, display))
        return out
