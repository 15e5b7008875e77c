"""Fixtures for the avatars tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.avatars.synthetic_smplx import write_synthetic_smplx


@pytest.fixture(scope="session")
def smplx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding synthetic ``SMPLX_{NEUTRAL,MALE,FEMALE}.npz``."""
    directory = tmp_path_factory.mktemp("smplx")
    write_synthetic_smplx(directory)
    return directory
