"""Secrets through the real Key Vault SDK and DefaultAzureCredential, against a local TLS stand-in vault."""

import pytest

from devtools.keyvault_standin import KeyVaultStandIn
from devtools.plex_simulator import DEMO_OWNER_TOKEN
from shared.config.secrets import CachedSecrets, KeyVaultSecrets
from shared.plex.errors import PlexError, PlexErrorKind
from tests.support.containers import make_container, make_gateway

pytestmark = pytest.mark.integration  # a local TLS vault and Azure's credential chain


@pytest.fixture
def vault(tmp_path, monkeypatch):
    standin = KeyVaultStandIn(tmp_path).start()
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_TENANT_ID",
        "AZURE_FEDERATED_TOKEN_FILE",
        "MSI_ENDPOINT",
        "IMDS_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in standin.identity_env.items():
        monkeypatch.setenv(name, value)
    yield standin
    standin.stop()


def vault_secrets(vault, clock):
    source = KeyVaultSecrets(vault.vault_url, connection_verify=str(vault.cert_path))
    return CachedSecrets(source, ttl_seconds=60, clock=clock)


def test_secret_is_read_with_the_managed_identity_and_cached(vault):
    vault.set_secret("plex-token", "first-token")
    now = [100.0]
    cached = vault_secrets(vault, lambda: now[0])
    assert cached.read("PLEX_TOKEN") == "first-token"
    now[0] += 59
    assert cached.read("PLEX_TOKEN") == "first-token"
    assert vault.state.reads == 1, "read once within the TTL"
    assert vault.state.tokens, "the SDK authenticated with a token from the identity endpoint"


def test_rotated_secret_is_picked_up_after_the_ttl(vault):
    vault.set_secret("session-signing-key", "old-key")
    now = [0.0]
    cached = vault_secrets(vault, lambda: now[0])
    assert cached.read("SESSION_SIGNING_KEY") == "old-key"
    vault.set_secret("session-signing-key", "new-key")
    now[0] += 30
    assert cached.read("SESSION_SIGNING_KEY") == "old-key"
    now[0] += 31
    assert cached.read("SESSION_SIGNING_KEY") == "new-key"


def test_missing_secret_reads_as_not_configured(vault):
    assert vault_secrets(vault, lambda: 0.0).read("ADMIN_PASSWORD_HASH") == ""


def test_rotating_the_plex_token_in_the_vault_mends_invites_without_a_restart(vault, simulator):
    vault.set_secret("plex-token", "expired-token")
    now = [0.0]
    cached = vault_secrets(vault, lambda: now[0])
    gateway = make_gateway(simulator, secrets=cached)
    with pytest.raises(PlexError) as caught:
        gateway.invite("alice", [])
    assert caught.value.kind is PlexErrorKind.INVALID_TOKEN

    vault.set_secret("plex-token", DEMO_OWNER_TOKEN)
    now[0] += 61
    assert not gateway.invite("alice", []).already_shared
    assert [s["username"] for s in simulator.state()["shares"]] == ["alice"]


def test_the_invite_code_comes_from_the_vault_and_a_rotated_one_applies_without_a_restart(vault, app_env, tables):
    from shared.invites.admissions import GLOBAL_CODE_MARK, InviteCodeRejected

    now = [0.0]
    cached = vault_secrets(vault, lambda: now[0])
    admissions = make_container(app_env, tables=tables, secrets=cached).admissions
    assert not admissions.code_required(), "no invite-code secret: no global code"

    vault.set_secret("invite-code", "first-code")
    now[0] += 61
    assert admissions.code_required()
    assert admissions.check("first-code").code == GLOBAL_CODE_MARK  # admitted, and logged by name

    vault.set_secret("invite-code", "second-code")
    now[0] += 61
    with pytest.raises(InviteCodeRejected):
        admissions.check("first-code")
    assert admissions.check("second-code").code == GLOBAL_CODE_MARK

    vault.set_secret("invite-code", "")  # how an operator turns the code off
    now[0] += 61
    assert not admissions.code_required()
