"""Paths the pipeline reaches through Beam's FileSystems, so that a corpus, a model and --out may be local paths
or any file system Beam knows (gs:// on Dataflow, s3://, hdfs://, azfs://), as every worker must see them.

Local paths keep audit-cli's handling (a lock on --out, atomic renames); a remote --out cannot be locked, so it
must be new or empty, and its summary.json is written last (its presence is what says the audit finished).
"""

import atexit
import hashlib
import os
import re
import shutil
import tempfile
import threading

from saliency_core.errors import InputError
from saliency_core.table import LocalFiles, check_readable

# Beam's own test for a path with a scheme (FileSystems.get_scheme); here so that the command line needs no Beam.
SCHEME = re.compile(r"^[a-zA-Z][-a-zA-Z0-9+.]*://")


def is_remote(path) -> bool:
    """A path on a file system other than the local one (gs://bucket/..., s3://..., hdfs://...)."""
    return bool(SCHEME.match(str(path)))


def _filesystems():
    from apache_beam.io.filesystems import FileSystems  # Beam loads at the first remote path, not at --help

    return FileSystems


def _uncompressed():
    # Bytes as they are stored: Beam would otherwise decompress by suffix, which the reader refuses with a
    # message of its own.
    from apache_beam.io.filesystem import CompressionTypes

    return CompressionTypes.UNCOMPRESSED


def open_binary(path):
    """A file's bytes, local or remote."""
    return _filesystems().open(path, compression_type=_uncompressed()) if is_remote(path) else open(path, "rb")


class BeamFiles(LocalFiles):
    """saliency_core.table's file seam over Beam's FileSystems (local paths stay local)."""

    def check_readable(self, path):
        if not is_remote(path):
            return check_readable(path)
        if not _filesystems().exists(path):
            raise InputError("file not found", path)
        if self.size(path) == 0:
            raise InputError("file is empty", path)

    def open(self, path):
        return open_binary(path)

    def size(self, path):
        return (
            _filesystems().match([path])[0].metadata_list[0].size_in_bytes if is_remote(path) else os.path.getsize(path)
        )

    def join(self, folder, name):
        return join(folder, name)

    def exists(self, path):
        return _filesystems().exists(path) if is_remote(path) else os.path.lexists(path)

    def is_remote(self, path):
        return is_remote(path)

    def files_under(self, folder):
        if not is_remote(folder):
            return super().files_under(folder)
        base = folder.rstrip("/")
        return sorted(m.path[len(base) + 1 :] for m in _filesystems().match([base + "/**"])[0].metadata_list)


BEAM_FILES = BeamFiles()


def expand(pattern):
    """The files a corpus argument names: one path, or every file a glob matches (sorted)."""
    import glob

    if not glob.has_magic(pattern):
        return [pattern]
    if not is_remote(pattern):
        return sorted(glob.glob(pattern))
    return sorted(m.path for m in _filesystems().match([pattern])[0].metadata_list)


def sha256(path):
    return BEAM_FILES.sha256(path)


def join(directory, name):
    return _filesystems().join(directory, name) if is_remote(directory) else os.path.join(directory, name)


def read_text(path):
    with open_binary(path) as f:
        return f.read().decode("utf-8")


def delete(path):
    if is_remote(path):
        _filesystems().delete([path])
    else:
        os.unlink(path)


def write_text(path, text):
    """UTF-8 text to a file, replacing it as a whole: locally by an atomic rename, remotely by the object store's
    write (an object appears complete or not at all)."""
    if not is_remote(path):
        from audit_engine.outputs import write_atomic

        return write_atomic(path, text)
    with _filesystems().create(path, compression_type=_uncompressed()) as f:
        f.write(text.encode("utf-8"))


def check_new_remote_out(out_dir):
    """A remote --out cannot be locked against a second run, nor cleaned of an old run's outputs safely: it must
    hold no file yet."""
    found = _filesystems().match([join(out_dir, "*")])[0].metadata_list
    if found:
        raise InputError(
            f"--out on a remote file system must be a new or empty folder; it holds {len(found)} "
            f"file(s), e.g. {found[0].path}",
            out_dir,
        )


def publish(local_dir, names, out_dir):
    """Copy the launcher's finished files (reports, then summary.json: ``names`` in that order) to a remote --out."""
    for name in names:
        with open(os.path.join(local_dir, name), encoding="utf-8", newline="") as f:
            write_text(join(out_dir, name), f.read())


_LOCAL_MODELS = {}
_LOCAL_MODELS_LOCK = threading.Lock()


def local_model(path):
    """A local copy of a model folder on a remote file system (TensorFlow's loader reads local files); once per
    process and path. A local path is returned as it is."""
    if not is_remote(path):
        return path
    with _LOCAL_MODELS_LOCK:
        if path not in _LOCAL_MODELS:
            base = path.rstrip("/")
            files = _filesystems().match([base + "/**"])[0].metadata_list
            if not files:
                raise InputError("no model files under this path", path)
            target = tempfile.mkdtemp(prefix="audit-model-" + hashlib.sha256(base.encode()).hexdigest()[:8] + "-")
            atexit.register(shutil.rmtree, target, True)
            for found in files:
                relative = found.path[len(base) + 1 :]
                local = os.path.join(target, *relative.split("/"))
                os.makedirs(os.path.dirname(local), exist_ok=True)
                with open_binary(found.path) as source, open(local, "wb") as copy:
                    shutil.copyfileobj(source, copy)
            _LOCAL_MODELS[path] = target
        return _LOCAL_MODELS[path]
