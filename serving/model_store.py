"""TF Serving's model base path layout: ``<base_path>/<integer version>/saved_model.pb``."""

import os
import re
import threading

from saliency_core import contract
from saliency_core.errors import InputError


def versions(base_path):
    """Integer versions with a complete SavedModel under base_path, ascending. A version folder is named by its
    number in ASCII digits without leading zeros ('7', not '007' or '٧'), so that a version number names exactly
    one folder; other folders are not versions."""
    if not os.path.isdir(base_path):
        return []
    found = []
    for name in os.listdir(base_path):
        if re.fullmatch(contract.VERSION_FOLDER, name) and os.path.isfile(os.path.join(base_path, name, "saved_model.pb")):
            found.append(int(name))
    return sorted(found)


def resolve_version_dir(path):
    """A version directory itself, or the highest version under a model base path."""
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        return path
    available = versions(path)
    if not available:
        raise InputError("no SavedModel here, and no integer version directory holding one", path)
    return os.path.join(path, str(available[-1]))


def latest(count=1):
    """TF Serving's default version policy: the ``count`` highest versions."""
    return lambda available: available[-count:]


def all_versions(available):
    return available


def specific(wanted):
    return lambda available: [v for v in available if v in set(wanted)]


class ModelStore:
    """Serves the versions a policy picks under a base path (default: the highest, TF Serving's 'latest'), and
    picks up new versions by polling the file system."""

    def __init__(self, model_name, base_path, loader, poll_seconds=1.0, policy=None):
        self.model_name = model_name
        self.base_path = base_path
        self.loader = loader
        self.poll_seconds = poll_seconds
        self.policy = policy or latest(1)
        self._lock = threading.Lock()
        self._loaded = {}  # version -> model
        self._stop = threading.Event()
        self._thread = None
        self.refresh()

    def refresh(self):
        wanted = self.policy(versions(self.base_path))
        if not wanted:
            return
        with self._lock:
            missing = [v for v in wanted if v not in self._loaded]
            if not missing and set(self._loaded) == set(wanted):
                return
        loaded = {v: self.loader(os.path.join(self.base_path, str(v))) for v in missing}
        with self._lock:
            # Old sessions are not closed here: requests still running on them finish, and each is released
            # when its last reference goes.
            self._loaded = {v: loaded.get(v) or self._loaded[v] for v in wanted}

    def get(self, version=None):
        """(version, model), or None when that version is not loaded."""
        with self._lock:
            if not self._loaded:
                return None
            if version is None:
                version = max(self._loaded)
            model = self._loaded.get(version)
            return None if model is None else (version, model)

    def loaded_versions(self):
        with self._lock:
            return sorted(self._loaded)

    def start_polling(self):
        def poll():
            while not self._stop.wait(self.poll_seconds):
                try:
                    self.refresh()
                except Exception as error:  # a broken new version must not take down the server
                    print(f"audit-serve: failed to load a new version: {error}", flush=True)
        self._thread = threading.Thread(target=poll, name="version-poller", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
