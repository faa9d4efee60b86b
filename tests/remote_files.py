"""A Beam FileSystem for the scheme testfs://, stored in a local folder: it stands in for gs:// (which needs a
Google Cloud bucket, not reachable here) so that the pipeline's remote paths are tested through Beam's own
FileSystems registry. Like an object store it has no directories (listing is by prefix), and a plain open() of
a testfs:// path fails, so any code that bypasses FileSystems fails the tests.

Beam finds a FileSystem by its scheme among the subclasses imported in the process: use it with the
DirectRunner's in_memory mode (worker processes would not import this module).
"""

import os

from apache_beam.io.filesystem import FileMetadata, FileSystem
from apache_beam.io.localfilesystem import LocalFileSystem

SCHEME = "testfs"


class LocalBackedFileSystem(FileSystem):
    root = None  # the local folder behind testfs://; set by the fixture

    def __init__(self, pipeline_options):
        super().__init__(pipeline_options)
        self.local = LocalFileSystem(pipeline_options)

    @classmethod
    def scheme(cls):
        return SCHEME

    def _local(self, path):
        assert path.startswith(SCHEME + "://"), path
        return os.path.join(self.root, path[len(SCHEME) + 3:])

    def _remote(self, path):
        return f"{SCHEME}://" + os.path.relpath(path, self.root).replace(os.sep, "/")

    def join(self, basepath, *paths):
        return "/".join([basepath.rstrip("/"), *(p.strip("/") for p in paths)])

    def split(self, path):
        head, _, tail = path.rstrip("/").rpartition("/")
        return head, tail

    def mkdirs(self, path):
        os.makedirs(self._local(path), exist_ok=True)

    def has_dirs(self):
        return False

    def _list(self, prefix):
        for folder, _, names in os.walk(self.root):
            for name in names:
                path = self._remote(os.path.join(folder, name))
                if path.startswith(prefix):
                    local = os.path.join(folder, name)
                    yield FileMetadata(path, os.path.getsize(local), os.path.getmtime(local))

    def create(self, path, *args, **kwargs):
        os.makedirs(os.path.dirname(self._local(path)), exist_ok=True)
        return self.local.create(self._local(path), *args, **kwargs)

    def open(self, path, *args, **kwargs):
        return self.local.open(self._local(path), *args, **kwargs)

    def copy(self, sources, destinations):
        return self.local.copy([self._local(p) for p in sources], [self._local(p) for p in destinations])

    def rename(self, sources, destinations):
        for destination in destinations:
            os.makedirs(os.path.dirname(self._local(destination)), exist_ok=True)
        return self.local.rename([self._local(p) for p in sources], [self._local(p) for p in destinations])

    def exists(self, path):
        return self.local.exists(self._local(path))

    def size(self, path):
        return self.local.size(self._local(path))

    def last_updated(self, path):
        return self.local.last_updated(self._local(path))

    def checksum(self, path):
        return self.local.checksum(self._local(path))

    def metadata(self, path):
        found = self.local.metadata(self._local(path))
        return FileMetadata(path, found.size_in_bytes, found.last_updated_in_seconds)

    def delete(self, paths):
        return self.local.delete([self._local(p) for p in paths])
