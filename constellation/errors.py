"""Input errors that name where the problem is (file, line or key) in one line."""

from __future__ import annotations


class InputError(ValueError):
    """A user-supplied file or value is wrong.  ``str()`` is a one-line message."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 field: str | None = None):
        self.path = path
        self.line = line
        self.field = field
        self.reason = message
        where = ""
        if path is not None:
            where = str(path)
            if line is not None:
                where += f":{line}"
        if field is not None:
            where = f"{where}: {field}" if where else field
        super().__init__(f"{where}: {message}" if where else message)


class CatalogError(InputError):
    """A TLE/3LE/OMM catalog is malformed."""


class ScenarioError(InputError):
    """A scenario file is malformed."""
