from collections.abc import Iterator
from pathlib import Path

import pytest

from ansible_collections.xmpp.encryption.tests.unit.support.fakes.dns import (
    FakeDns,
    Lab,
    build_lab,
    build_tlsa_zones,
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from build_lab(tmp_path_factory)


@pytest.fixture(scope="module")
def tlsa_zones(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeDns, Path]]:
    yield from build_tlsa_zones(tmp_path_factory)
