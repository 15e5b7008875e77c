"""Content credentials: XMP and a signed C2PA manifest saying computer-generated and naming the consent."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tryon.twins.credentials import DIGITAL_SOURCE_TYPE


def _frame() -> np.ndarray:
    rgba = np.zeros((72, 48, 4), np.uint8)
    rgba[10:60, 8:40] = (190, 140, 110, 255)
    return rgba


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_twin_images_carry_xmp_and_a_valid_manifest_naming_the_grant(fmt):
    from tryon.twins.credentials import Subject, credential_image, read_credentials
    from tryon.render.encoding import encode_image

    plain = encode_image(_frame(), fmt)
    signed = credential_image(plain, fmt, Subject("t-0123456789abcdef", twin=True,
                                                  consent_grant="cg-feedfacefeedface"))
    before = np.asarray(Image.open(io.BytesIO(plain)).convert("RGBA"))
    after = Image.open(io.BytesIO(signed))
    assert (np.asarray(after.convert("RGBA")) == before).all()  # pixels not encoded again
    xmp = after.info.get("xmp") or after.info.get("XML:com.adobe.xmp")
    assert xmp and DIGITAL_SOURCE_TYPE in (xmp if isinstance(xmp, str) else xmp.decode())

    found = read_credentials(signed)
    c2pa = found["c2pa"]
    assert c2pa["validation_state"] in ("Valid", "Trusted"), c2pa["validation_status"]
    assert c2pa["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert c2pa["replica"]["consent_grant"] == "cg-feedfacefeedface"
    assert c2pa["replica"]["twin"] == "t-0123456789abcdef" and c2pa["replica"]["computer_generated"]
    assert c2pa["iptc"]["Iptc4xmpExt:DigitalSourceType"] == DIGITAL_SOURCE_TYPE
    assert c2pa["iptc"]["plus:ModelReleaseID"] == ["cg-feedfacefeedface"]
    assert found["xmp"]["model_release_id"] == "cg-feedfacefeedface"
    assert "Computer-generated" in found["xmp"]["description"]
    assert read_credentials(plain) == {"c2pa": None, "xmp": {}}


def test_an_edited_image_no_longer_validates():
    from tryon.twins.credentials import Subject, credential_image, read_credentials
    from tryon.render.encoding import encode_image

    signed = bytearray(credential_image(encode_image(_frame(), "jpeg"), "jpeg",
                                        Subject("t-1", twin=True, consent_grant="cg-1")))
    signed[-40] ^= 0xFF  # a byte of the pixels
    assert read_credentials(bytes(signed))["c2pa"]["validation_state"] == "Invalid"


def test_the_development_chain_is_made_once_with_private_keys_0600(tmp_path, monkeypatch):
    from tryon.twins.credentials import ensure_dev_chain, signing_material

    monkeypatch.setenv("TRYON_DATA_DIR", str(tmp_path))
    for name in ("TRYON_C2PA_CERT", "TRYON_C2PA_KEY", "TRYON_C2PA_TRUST_ANCHORS"):
        monkeypatch.delenv(name, raising=False)
    folder = ensure_dev_chain()
    chain = (folder / "chain.pem").read_bytes()
    assert chain.count(b"BEGIN CERTIFICATE") == 2
    for key in ("signer.key", "root.key"):
        assert stat.S_IMODE(os.stat(folder / key).st_mode) == 0o600
    assert ensure_dev_chain() == folder and (folder / "chain.pem").read_bytes() == chain
    material = signing_material()
    assert material.development and material.alg == "es256"


def test_operators_sign_with_their_own_certificate(tmp_path, monkeypatch):
    """A chain given by env vars is used instead of the development one."""
    from tryon.twins.credentials import (Subject, credential_image, ensure_dev_chain,
                                           read_credentials)
    from tryon.render.encoding import encode_image

    monkeypatch.setenv("TRYON_DATA_DIR", str(tmp_path / "operator"))
    folder = ensure_dev_chain()  # stands in for the operator's own CA-issued chain
    monkeypatch.setenv("TRYON_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("TRYON_C2PA_CERT", str(folder / "chain.pem"))
    monkeypatch.setenv("TRYON_C2PA_KEY", str(folder / "signer.key"))
    monkeypatch.setenv("TRYON_C2PA_TRUST_ANCHORS", str(folder / "root.pem"))
    signed = credential_image(encode_image(_frame(), "png"), "png", Subject("f165-eu40"))
    found = read_credentials(signed)["c2pa"]
    assert found["validation_state"] == "Trusted" and found["replica"] is None
    assert not (tmp_path / "elsewhere" / "c2pa").exists()


def test_verify_image_command_shows_the_credentials(tmp_path):
    from tryon.twins.credentials import Subject, credential_image
    from tryon.render.encoding import encode_image

    path = tmp_path / "twin.png"
    path.write_bytes(credential_image(encode_image(_frame(), "png"), "png",
                                      Subject("t-42", twin=True, consent_grant="cg-42")))
    out = subprocess.run([sys.executable, "-m", "tryon.cli", "verify-image", str(path)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "cg-42" in out.stdout and DIGITAL_SOURCE_TYPE in out.stdout
    plain = tmp_path / "plain.png"
    plain.write_bytes(encode_image(_frame(), "png"))
    assert subprocess.run([sys.executable, "-m", "tryon.cli", "verify-image", str(plain)],
                          capture_output=True, text=True, timeout=300).returncode == 1


def test_every_render_can_carry_credentials_by_configuration(monkeypatch):
    from tryon.twins.credentials import read_credentials
    from tryon.render.encoding import encode_image
    from tryon.twins.access import credential_render

    plain = encode_image(_frame(), "png")
    monkeypatch.delenv("TRYON_C2PA_ALL_AVATARS", raising=False)
    assert credential_render(plain, "png", "f165-eu40") == plain
    monkeypatch.setenv("TRYON_C2PA_ALL_AVATARS", "1")
    found = read_credentials(credential_render(plain, "png", "f165-eu40"))["c2pa"]
    assert found["digital_source_type"] == DIGITAL_SOURCE_TYPE and found["replica"] is None


def test_the_command_line_verifies_a_glb_with_its_sidecar(tmp_path):
    import trimesh

    from tryon.twins.credentials import Subject
    from tryon.twins.sidecar import sidecar_manifest

    glb = trimesh.Scene(trimesh.creation.icosphere()).export(file_type="glb")
    (tmp_path / "twin.glb").write_bytes(glb)
    (tmp_path / "twin.c2pa").write_bytes(
        sidecar_manifest(glb, "glb", Subject("t-42", twin=True, consent_grant="cg-42")))
    (tmp_path / "edited.glb").write_bytes(glb[:-4] + b"    ")

    def verify(*args):
        return subprocess.run([sys.executable, "-m", "tryon.cli", "verify-image", *args],
                              capture_output=True, text=True, timeout=300, cwd=tmp_path)

    good = verify("twin.glb", "--manifest", "twin.c2pa")
    assert good.returncode == 0, good.stderr
    assert "cg-42" in good.stdout and "3D model" in good.stdout
    edited = verify("edited.glb", "--manifest", "twin.c2pa")
    assert edited.returncode == 1 and "assertion.dataHash.mismatch" in edited.stdout
    bare = verify("twin.glb")
    assert bare.returncode == 2 and "--manifest" in bare.stderr
