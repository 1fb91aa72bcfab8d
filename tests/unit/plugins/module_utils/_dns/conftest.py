from collections.abc import Iterator

import pytest

from ansible_collections.xmpp.encryption.tests.unit.support.fakes.dns import Lab, build_lab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    yield from build_lab(tmp_path_factory)
