"""Where the S3 blob store points: ``[blobs] url`` plus the endpoint and credentials from
the environment (``LIENTHONG_BLOBS_*`` before ``AWS_*``), never from the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from gateway.store.blobs import BlobStore
from gateway.store.s3blobs import S3BlobStore, open_blob_store
from gateway.store.s3location import S3Location


def test_url_and_environment_make_the_location() -> None:
    """Bucket and prefix from the URL; LIENTHONG_BLOBS_* wins over AWS_*."""
    env = {
        "LIENTHONG_BLOBS_ENDPOINT": "http://minio:9000",
        "AWS_ENDPOINT_URL": "http://elsewhere",
        "AWS_ACCESS_KEY_ID": "aws-key",
        "LIENTHONG_BLOBS_SECRET_ACCESS_KEY": "lt-secret",
        "AWS_SECRET_ACCESS_KEY": "aws-secret",
    }
    loc = S3Location.from_url("s3://lienthong/hub/blobs/", env)
    assert (loc.bucket, loc.prefix, loc.endpoint) == ("lienthong", "hub/blobs", "http://minio:9000")
    assert (loc.access_key_id, loc.secret_access_key, loc.region) == (
        "aws-key",
        "lt-secret",
        "us-east-1",
    )
    assert loc.key("ab/cd/x") == "hub/blobs/ab/cd/x"
    assert S3Location.from_url("s3://b", {}).key("x") == "x"


@pytest.mark.parametrize("url", ["http://bucket/x", "s3://", "s3:///prefix"])
def test_a_url_that_is_not_s3_is_refused(url: str) -> None:
    """Anything but s3://bucket[/prefix] is ``config.invalid``."""
    with pytest.raises(ConfigError):
        S3Location.from_url(url, {})


def test_config_selects_the_store(tmp_path: Path) -> None:
    """No [blobs] url: the disk store under the home; with one, the object store (and a
    part size under S3's 5 MiB minimum is refused when the config is read)."""
    assert isinstance(open_blob_store(load_config(tmp_path, env={})), BlobStore)
    (tmp_path / "config.toml").write_text('[blobs]\nurl = "s3://bucket/p"\npart_size_mib = 16\n')
    store = open_blob_store(load_config(tmp_path, env={}), env={})
    assert isinstance(store, S3BlobStore)
    assert (store.location.bucket, store.part_size) == ("bucket", 16 << 20)
    assert store.cache_dir == tmp_path / "blob-cache"
    (tmp_path / "config.toml").write_text("[blobs]\npart_size_mib = 1\n")
    with pytest.raises(ConfigError):
        load_config(tmp_path, env={})
    with pytest.raises(ConfigError):
        load_config(
            tmp_path, env={"LIENTHONG_BLOBS_URL": "ftp://x", "LIENTHONG_BLOBS_PART_SIZE_MIB": "8"}
        )
