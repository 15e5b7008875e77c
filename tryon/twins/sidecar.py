"""Content credentials beside a file that cannot carry them: a twin's GLB.

C2PA defines no place inside a glTF binary for a manifest store, so a
twin's GLB gets a sidecar: a signed manifest store (``application/c2pa``,
the ``.c2pa`` file the C2PA specification names for this) whose hard
binding is a data hash (``c2pa.hash.data``) over every byte of the GLB.
Change one byte and validation reports ``assertion.dataHash.mismatch``.
The assertions are those of a twin's image (``tryon.twins.credentials``):
created by an algorithm, a digital replica under which consent. The API
serves the sidecar as a blob and points to it from the GLB's answer with
``Link: <...>; rel="c2pa-manifest"``.
"""

from __future__ import annotations

import io
import json

import c2pa

from tryon.twins.credentials import (
    MEDIA_TYPES,
    Subject,
    c2pa_context,
    manifest_for,
    signing_material,
    summarize,
)

SIDECAR_MEDIA_TYPE = "application/c2pa"


def sidecar_manifest(data: bytes, fmt: str, subject: Subject) -> bytes:
    """A signed manifest store for ``data`` (a ``fmt`` file, e.g. ``"glb"``) showing
    ``subject``, bound to its bytes by a data hash; ``data`` itself is unchanged."""
    material = signing_material()
    info = c2pa.C2paSignerInfo(material.alg, material.chain_pem, material.key_pem, material.tsa_url)
    with c2pa_context(material) as context, c2pa.Signer.from_info(info) as signer, \
            c2pa.Builder(json.dumps(manifest_for(subject, fmt)), context) as builder:
        builder.set_no_embed()  # the manifest store is returned, not written into the file
        return bytes(builder.sign(signer, MEDIA_TYPES[fmt], io.BytesIO(data), io.BytesIO()))


def read_sidecar(data: bytes, manifest: bytes, fmt: str = "glb") -> dict:
    """What the sidecar ``manifest`` says about ``data``: as ``read_credentials``'s
    ``c2pa`` member (validation state and status, source type, replica, signer)."""
    material = signing_material()
    with c2pa_context(material) as context, \
            c2pa.Reader(MEDIA_TYPES[fmt], io.BytesIO(data), manifest, context) as reader:
        return summarize(json.loads(reader.json()), reader.get_validation_state())
