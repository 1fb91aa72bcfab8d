import pytest

from ansible_collections.xmpp.encryption.tests.unit.support.x509_pki import Pki, build_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return build_pki(tmp_path_factory.mktemp("pki"))
