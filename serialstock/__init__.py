"""serialstock: stock tracked by serial number, in the terminal."""

__version__ = "0.1.0"  # as pyproject.toml; `serialstock --version` asks the installed metadata first
