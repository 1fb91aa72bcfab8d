import pytest

from ansible_collections.xmpp.encryption.tests.unit.support.pki import FIXED, Pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return FIXED.pki(folder=tmp_path_factory.mktemp("pki"))
