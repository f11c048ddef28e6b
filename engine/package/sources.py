"""Reading a package's files from a zip, a directory or a (matter dir, bpmn dir) pair.

Uploads are untrusted, so a zip is read with bounds: a number of entries,
a size per file and in total (counted while reading, not taken from the
zip's own headers, which can lie), no absolute or `..` names, no encrypted
entries, and a refusal of entries that inflate suspiciously (zip bombs).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable

from .model import Problems

MATTER_FILE = "matter.yaml"
PACKAGE = "<package>"  # the `file` of problems about the package as a whole
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_FILES = 200
MAX_RATIO = 100  # uncompressed / compressed, for entries above 1 MB
_IGNORED_PARTS = ("__MACOSX",)


class SourceRefused(Exception):
    """Reading cannot go on; the problems collected so far say why."""


def read_source(
    source, problems: Problems, referenced: Callable[[bytes], Iterable[str]]
) -> dict[str, bytes]:
    """Every file of the package by its name inside the package.

    `referenced` lists the file names a matter.yaml mentions; the pair form
    needs it to know which files of the shared bpmn dir belong to this matter.
    """
    if isinstance(source, tuple) and len(source) == 2:
        return _read_pair(Path(source[0]), Path(source[1]), problems, referenced)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _read_zip(bytes(source), problems)
    if hasattr(source, "read"):
        return _read_zip(_read_bounded(source, problems), problems)
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            return _read_directory(path, problems)
        if path.is_file():
            with path.open("rb") as stream:
                return _read_zip(_read_bounded(stream, problems), problems)
        problems.add(PACKAGE, None, f"{path} is neither a directory nor a zip file")
        raise SourceRefused
    raise TypeError(
        f"a package source is a directory, zip bytes or a (matter_dir, bpmn_dir) "
        f"pair, not {type(source).__name__}"
    )


def _read_bounded(stream, problems: Problems) -> bytes:
    data = stream.read(MAX_TOTAL_BYTES + 1)
    if len(data) > MAX_TOTAL_BYTES:
        problems.add(PACKAGE, None, f"the package is larger than {MAX_TOTAL_BYTES} bytes")
        raise SourceRefused
    return data


def package_name(name: str) -> str | None:
    """The entry's normalised relative name, or None when it could escape."""
    if not name or "\\" in name or name.startswith("/") or ":" in name.split("/")[0]:
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _ignored(name: str) -> bool:
    parts = name.split("/")
    return any(p.startswith(".") or p in _IGNORED_PARTS for p in parts)


# -- zip ------------------------------------------------------------------------


def _read_zip(data: bytes, problems: Problems) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        problems.add(PACKAGE, None, "the package is not a valid zip file")
        raise SourceRefused from None
    with archive:
        entries = [i for i in archive.infolist() if not i.is_dir()]
        if len(entries) > MAX_FILES:
            problems.add(
                PACKAGE, None, f"the zip holds {len(entries)} files; the limit is {MAX_FILES}"
            )
            raise SourceRefused
        declared = sum(i.file_size for i in entries)
        if declared > MAX_TOTAL_BYTES:
            problems.add(
                PACKAGE,
                None,
                f"the zip unpacks to {declared} bytes; the limit is {MAX_TOTAL_BYTES}",
            )
            raise SourceRefused
        files: dict[str, bytes] = {}
        for info in entries:
            _read_entry(archive, info, files, problems)
    return _strip_common_folder(files)


def _read_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, files: dict[str, bytes], problems: Problems
) -> None:
    name = package_name(info.filename)
    if name is None:
        problems.add(info.filename, None, "unsafe file name in the zip (absolute or with '..')")
        return
    if _ignored(name):
        return
    if name in files:
        problems.add(name, None, "appears twice in the zip")
        return
    refusal = _entry_refusal(info)
    if refusal:
        problems.add(name, None, refusal)
        return
    try:
        with archive.open(info) as stream:
            content = stream.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        problems.add(name, None, f"cannot be unpacked: {exc}")
        return
    if len(content) > MAX_FILE_BYTES:
        problems.add(name, None, f"is larger than {MAX_FILE_BYTES} bytes")
        return
    files[name] = content


def _entry_refusal(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "is encrypted"
    if info.file_size > MAX_FILE_BYTES:
        return f"is {info.file_size} bytes; the limit per file is {MAX_FILE_BYTES}"
    if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return "inflates more than {}-fold (a zip bomb?)".format(MAX_RATIO)
    return None


def _strip_common_folder(files: dict[str, bytes]) -> dict[str, bytes]:
    """A zip of the package's folder (`restaurant/matter.yaml`) is the package too."""
    if MATTER_FILE in files or not files:
        return files
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        top = tops.pop()
        if f"{top}/{MATTER_FILE}" in files:
            return {name[len(top) + 1 :]: data for name, data in files.items()}
    return files


# -- directories ----------------------------------------------------------------


def _read_directory(root: Path, problems: Problems) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink() or not path.is_file() or _ignored(name):
            continue
        if len(files) >= MAX_FILES:
            problems.add(PACKAGE, None, f"the package holds more than {MAX_FILES} files")
            raise SourceRefused
        content = _read_file(path, name, problems)
        if content is not None:
            total += len(content)
            files[name] = content
    if total > MAX_TOTAL_BYTES:
        problems.add(PACKAGE, None, f"the package is larger than {MAX_TOTAL_BYTES} bytes")
        raise SourceRefused
    return files


def _read_file(path: Path, name: str, problems: Problems) -> bytes | None:
    with path.open("rb") as stream:
        content = stream.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        problems.add(name, None, f"is larger than {MAX_FILE_BYTES} bytes")
        return None
    return content


def _read_pair(
    matter_dir: Path,
    bpmn_dir: Path,
    problems: Problems,
    referenced: Callable[[bytes], Iterable[str]],
) -> dict[str, bytes]:
    """matter.yaml from `matter_dir`; each file it names from `matter_dir`, else `bpmn_dir`."""
    matter = matter_dir / MATTER_FILE
    if not matter.is_file():
        problems.add(MATTER_FILE, None, f"no {MATTER_FILE} in {matter_dir}")
        raise SourceRefused
    files = {MATTER_FILE: _read_file(matter, MATTER_FILE, problems) or b""}
    for name in referenced(files[MATTER_FILE]):
        safe = package_name(name)
        if safe is None or safe in files:
            continue
        for folder in (matter_dir, bpmn_dir):
            path = folder / safe
            if path.is_file() and not path.is_symlink():
                content = _read_file(path, safe, problems)
                if content is not None:
                    files[safe] = content
                break
    return files
