import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def cli_binary():
    """The `cortexsim` binary to compare with: $CORTEXSIM_BIN, else the release build of
    this checkout ($CARGO_TARGET_DIR or target/), else `cortexsim` on PATH."""
    env = os.environ.get("CORTEXSIM_BIN")
    if env:
        return env
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    p = target / "release" / "cortexsim"
    if p.is_file():
        return str(p)
    on_path = shutil.which("cortexsim")
    if on_path:
        return on_path
    raise RuntimeError(
        "no cortexsim binary: build it (cargo build --release) or set CORTEXSIM_BIN"
    )


@pytest.fixture(scope="session")
def cli():
    return cli_binary()


@pytest.fixture(scope="session")
def repo():
    return REPO
