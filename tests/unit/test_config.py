"""The credentials store: TOML file first, then environment; default and sidecar mappings."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import B2Key, ConfigError, CredentialStore, Identity, load_credentials

FILE = """
[[b2_keys]]
name = "main"
key_id = "0041234"
application_key = "K004secret"

[[b2_keys]]
name = "hidden"
key_id = "0049999"
application_key = "K004hidden"
s3_access = false

[[s3_identities]]
access_key_id = "app-photos"
secret_access_key = "photos-secret"
b2_key = "hidden"
buckets = ["photos"]

[[s3_identities]]
access_key_id = "app-all"
secret_access_key = "all-secret"
b2_key = "hidden"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "credentials.toml"
    path.write_text(text)
    return path


def test_default_mapping_uses_the_b2_key_as_the_s3_key_pair(tmp_path: Path) -> None:
    store = load_credentials(_write(tmp_path, FILE), {})
    identity = store.secret_for("0041234")
    assert identity == Identity("0041234", "K004secret", B2Key("0041234", "K004secret"))
    assert identity.allows_bucket("anything")


def test_sidecar_identities_share_a_hidden_b2_key_with_bucket_limits(tmp_path: Path) -> None:
    store = load_credentials(_write(tmp_path, FILE), {})
    photos, everything = store.secret_for("app-photos"), store.secret_for("app-all")
    assert photos is not None
    assert everything is not None
    assert photos.b2_key == everything.b2_key
    assert photos.b2_key.key_id == "0049999"
    assert photos.allows_bucket("photos")
    assert not photos.allows_bucket("logs")
    assert everything.allows_bucket("logs")
    assert store.secret_for("0049999") is None  # s3_access = false keeps it inside


def test_environment_adds_default_and_sidecar_identities() -> None:
    store = load_credentials(
        None,
        {
            "B2_APPLICATION_KEY_ID": "envkey",
            "B2_APPLICATION_KEY": "envsecret",
            "GATEWAY_S3_ACCESS_KEY_ID": "local",
            "GATEWAY_S3_SECRET_ACCESS_KEY": "localsecret",
            "GATEWAY_S3_BUCKETS": "a, b",
        },
    )
    local = store.secret_for("local")
    assert local is not None
    assert local.b2_key == B2Key("envkey", "envsecret")
    assert local.buckets == frozenset({"a", "b"})
    assert store.secret_for("envkey") is not None


def test_file_wins_over_environment_for_the_same_access_key(tmp_path: Path) -> None:
    store = load_credentials(
        _write(tmp_path, FILE),
        {"B2_APPLICATION_KEY_ID": "0041234", "B2_APPLICATION_KEY": "from-env"},
    )
    identity = store.secret_for("0041234")
    assert identity is not None
    assert identity.secret_access_key == "K004secret"


def test_no_sources_gives_an_empty_store() -> None:
    assert load_credentials(None, {}) == CredentialStore()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[s3_identities]]\naccess_key_id='a'\nsecret_access_key='b'\nb2_key='nope'\n",
            "unknown b2_key",
        ),
        ("[[b2_keys]]\nkey_id=''\napplication_key='x'\n", "key_id must be"),
        ("b2_keys = 3\n", "array of tables"),
        (
            "[[b2_keys]]\nkey_id='k'\napplication_key='x'\n[[b2_keys]]\nkey_id='k'\napplication_key='y'\n",
            "duplicate name",
        ),
        (
            "[[b2_keys]]\nname='n'\nkey_id='k'\napplication_key='x'\n[[s3_identities]]\n"
            "access_key_id='k'\nsecret_access_key='s'\nb2_key='n'\n",
            "defined twice",
        ),
        (
            "[[b2_keys]]\nname='n'\nkey_id='k'\napplication_key='x'\n[[s3_identities]]\n"
            "access_key_id='i'\nsecret_access_key='s'\nb2_key='n'\nbuckets='one'\n",
            "list of bucket",
        ),
        ("not toml = = 1", "credentials.toml"),
    ],
)
def test_bad_credentials_file_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_credentials(_write(tmp_path, text), {})


def test_half_a_sidecar_pair_in_the_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="go together"):
        load_credentials(
            None,
            {
                "B2_APPLICATION_KEY_ID": "k",
                "B2_APPLICATION_KEY": "s",
                "GATEWAY_S3_ACCESS_KEY_ID": "x",
            },
        )


def test_secrets_are_not_in_reprs(tmp_path: Path) -> None:
    store = load_credentials(_write(tmp_path, FILE), {})
    assert "secret" not in repr(store)
