"""The hub suite's fixture: one real JupyterHub (with its proxy, a Redis with ACL users,
and alice's and bob's servers) for every test of the package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.hub import Hub, start_hub

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="package")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with start_hub(tmp_path_factory) as started:
        yield started
