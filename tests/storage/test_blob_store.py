"""Content-addressed blob stores: local files (atomic writes) and S3 (without a network)."""

from __future__ import annotations

import hashlib
import io
import os
import time

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from tryon.storage.blobs import LocalBlobStore, S3BlobStore, check_digest
from tests.settings import current_blobs

DATA = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 100
DIGEST = hashlib.sha256(DATA).hexdigest()
BAD_DIGESTS = ["", "../../etc/passwd", "A" * 64, DIGEST[:63], DIGEST + "0", f"../{DIGEST[3:]}",
               DIGEST[:62] + "/x", None, 42]


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_put_get_round_trip(tmp_path):
    store = LocalBlobStore(tmp_path)
    assert store.put(DATA) == DIGEST
    assert store.put(DATA) == DIGEST  # equal bytes are stored once
    assert store.get(DIGEST) == DATA and store.exists(DIGEST)
    with store.open(DIGEST) as f:
        assert f.read(8) == DATA[:8]
    assert store.path(DIGEST) == tmp_path / DIGEST[:2] / DIGEST
    assert files_under(tmp_path) == [f"{DIGEST[:2]}/{DIGEST}"]
    store.delete(DIGEST)
    store.delete(DIGEST)  # deleting a missing blob is fine
    assert not store.exists(DIGEST)
    with pytest.raises(KeyError):
        store.get(DIGEST)
    with pytest.raises(KeyError):
        store.open(DIGEST)


def test_default_root_is_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TRYON_BLOB_URL", raising=False)
    store = current_blobs()
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "blobs"


@pytest.mark.parametrize("digest", BAD_DIGESTS)
def test_bad_digests_are_refused_before_touching_files(tmp_path, digest):
    store = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / "secret").write_bytes(b"not a blob")
    with pytest.raises(ValueError):
        check_digest(digest)
    for method in (store.get, store.open, store.exists, store.delete, store.path):
        with pytest.raises(ValueError):
            method(digest)
    assert (tmp_path / "secret").exists()


def test_a_crash_before_the_rename_leaves_no_blob_and_no_temp_file(tmp_path, monkeypatch):
    store = LocalBlobStore(tmp_path)

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        store.put(DATA)
    assert not store.exists(DIGEST)
    assert files_under(tmp_path) == []


def test_a_killed_writer_leaves_only_a_temp_file_that_cleanup_removes(tmp_path):
    """SIGKILL between write and rename: what is left is a temp file, never a blob name."""
    store = LocalBlobStore(tmp_path)
    folder = tmp_path / DIGEST[:2]
    folder.mkdir()
    stale = folder / f".{DIGEST}.killed.partial"
    stale.write_bytes(DATA[:100])  # half a blob
    hour_ago = time.time() - 3700
    os.utime(stale, (hour_ago, hour_ago))
    fresh = folder / f".{DIGEST}.writing-now.partial"
    fresh.write_bytes(DATA[:10])
    assert not store.exists(DIGEST)
    assert store.remove_temp_files(older_than_s=3600) == 1
    assert not stale.exists() and fresh.exists()  # a write in progress keeps its file
    assert store.put(DATA) == DIGEST and store.get(DIGEST) == DATA


def s3_store(prefix="renders"):
    import boto3

    client = boto3.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                          aws_access_key_id="test", aws_secret_access_key="test")
    return S3BlobStore("tryon-bucket", prefix, client=client)


def test_s3_key_naming_and_construction(monkeypatch):
    assert s3_store("renders/").key(DIGEST) == f"renders/{DIGEST}"
    assert s3_store("").key(DIGEST) == DIGEST
    with pytest.raises(ValueError):
        s3_store().key("../x")
    monkeypatch.setenv("TRYON_BLOB_URL", "s3://tryon-bucket/shop/blobs/")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    # credentials from the environment: boto3 would otherwise ask the EC2 metadata service
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    store = current_blobs()
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.key(DIGEST)) == ("tryon-bucket", f"shop/blobs/{DIGEST}")
    assert store.client.meta.endpoint_url == "http://127.0.0.1:9000"


def test_blob_url_can_name_a_local_folder_and_refuses_others(tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path}/elsewhere")
    assert current_blobs().root == tmp_path / "elsewhere"
    monkeypatch.setenv("TRYON_BLOB_URL", "ftp://host/x")
    with pytest.raises(ValueError, match="TRYON_BLOB_URL"):
        current_blobs()


def test_s3_calls_without_a_network():
    """The requests the store makes, checked by botocore's Stubber (nothing is sent)."""
    store = s3_store()
    key = f"renders/{DIGEST}"
    with Stubber(store.client) as stub:
        stub.add_response("put_object", {}, {"Bucket": "tryon-bucket", "Key": key, "Body": DATA})
        stub.add_response("get_object", {"Body": StreamingBody(io.BytesIO(DATA), len(DATA))},
                          {"Bucket": "tryon-bucket", "Key": key})
        stub.add_client_error("get_object", "NoSuchKey", http_status_code=404)
        stub.add_response("head_object", {}, {"Bucket": "tryon-bucket", "Key": key})
        stub.add_client_error("head_object", "404", http_status_code=404)
        stub.add_response("delete_object", {}, {"Bucket": "tryon-bucket", "Key": key})
        assert store.put(DATA) == DIGEST
        assert store.get(DIGEST) == DATA
        with pytest.raises(KeyError):
            store.get(DIGEST)
        assert store.exists(DIGEST)
        assert not store.exists(DIGEST)
        store.delete(DIGEST)
        stub.assert_no_pending_responses()
