"""Content credentials: every image of a twin says it is computer-generated, and under which consent.

Two layers, both written into the image before it is stored:

- XMP (the IPTC Photo Metadata fields): ``Iptc4xmpExt:DigitalSourceType``,
  a ``dc:description`` in words, ``xmp:CreatorTool``, and for a twin the
  consent grant as ``plus:ModelReleaseID`` with ``plus:ModelReleaseStatus``.
  Inserted as bytes (a PNG ``iTXt`` chunk, a JPEG APP1 segment, a WebP
  ``XMP`` chunk), so the pixels are not encoded again.
- A C2PA manifest (``c2pa-python``), signed, whose ``c2pa.actions`` say the
  image was ``c2pa.created`` with the same digital source type, plus the
  IPTC assertion and ``org.tryon.digital-replica`` (twin id, consent grant,
  statement). The manifest's hard binding covers the XMP as well.

Digital source type: ``algorithmicMedia`` ("created purely by an
algorithm not based on any sampled training data"): a rasterised 3D
scene of a parametric body model. Not ``trainedAlgorithmicMedia``: no
generative model is involved; not ``digitalCapture``: the image is not a
photograph, even though the body was fitted to a scan.

Signing: ``$TRYON_C2PA_CERT`` (PEM chain, signer first) and
``$TRYON_C2PA_KEY`` (PEM private key), ``$TRYON_C2PA_ALG`` (default
``es256``), ``$TRYON_C2PA_TSA_URL`` (a timestamp authority; none by
default), ``$TRYON_C2PA_TRUST_ANCHORS`` (PEM roots a verifier trusts).
Without them a development chain (an ES256 root and a signer it issued) is
made once under ``data_dir()/c2pa`` and used; verifiers call it valid but
untrusted unless given its root. ``$TRYON_C2PA_ALL_AVATARS=1`` puts
credentials on every render, not only twins'.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import json
import re
import struct
import zlib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from tryon.core.files import atomic_write
from tryon.core.settings import data_dir, settings

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
REPLICA_LABEL = "org.tryon.digital-replica"
IPTC_LABEL = "stds.iptc.photo-metadata"
MODEL_RELEASE_LIMITED = "http://ns.useplus.org/ldf/vocab/MR-LMR"  # PLUS: limited model release
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp",
               "glb": "model/gltf-binary", "usdz": "model/vnd.usdz+zip", "mp4": "video/mp4",
               "webm": "video/webm"}
_WHAT = {"glb": "3D model", "usdz": "3D model", "mp4": "video", "webm": "video"}
XMP_NS = "http://ns.adobe.com/xap/1.0/"


def generator() -> str:
    try:
        return f"tryon {version('tryon')}"
    except PackageNotFoundError:
        return "tryon"


def enabled_for_all() -> bool:
    """Whether every render carries credentials (``$TRYON_C2PA_ALL_AVATARS``), not only twins'."""
    return settings().c2pa_all_avatars


@dataclass(frozen=True)
class Subject:
    """What an image shows: a twin under a consent grant, or any other avatar."""

    avatar_id: str
    twin: bool = False
    consent_grant: str | None = None

    def statement(self, what: str = "image") -> str:
        if self.twin:
            return (f"Computer-generated {what} of a digital replica (twin {self.avatar_id}) of a "
                    f"real person, made and used under consent {self.consent_grant}.")
        return f"Computer-generated {what} of a synthetic body ({self.avatar_id})."


# --- XMP ----------------------------------------------------------------------------------

def xmp_packet(subject: Subject) -> bytes:
    """The XMP packet (UTF-8) with the IPTC fields for ``subject``."""
    release = ""
    if subject.twin:
        release = (f"   <plus:ModelReleaseStatus>{MODEL_RELEASE_LIMITED}</plus:ModelReleaseStatus>\n"
                   f"   <plus:ModelReleaseID><rdf:Bag><rdf:li>{escape(subject.consent_grant or '')}"
                   "</rdf:li></rdf:Bag></plus:ModelReleaseID>\n")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        f'    xmlns:xmp="{XMP_NS}"\n'
        '    xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"\n'
        f'    Iptc4xmpExt:DigitalSourceType={quoteattr(DIGITAL_SOURCE_TYPE)}\n'
        f'    xmp:CreatorTool={quoteattr(generator())}>\n'
        '   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">'
        f'{escape(subject.statement())}</rdf:li></rdf:Alt></dc:description>\n'
        f'{release}'
        '  </rdf:Description>\n'
        ' </rdf:RDF>\n'
        '</x:xmpmeta>\n'
        '<?xpacket end="w"?>'
    ).encode()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(
        ">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def embed_xmp(data: bytes, fmt: str, packet: bytes) -> bytes:
    """``data`` (PNG, JPEG or WebP bytes) with the XMP packet added, pixels untouched."""
    if fmt == "png":
        ihdr_end = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4  # signature, IHDR
        chunk = _png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet)
        return data[:ihdr_end] + chunk + data[ihdr_end:]
    if fmt == "jpeg":
        body = XMP_NS.encode() + b"\x00" + packet
        segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
        at = 2  # after SOI, and after a JFIF APP0 if there is one
        if data[2:4] == b"\xff\xe0":
            at = 4 + struct.unpack(">H", data[4:6])[0]
        return data[:at] + segment + data[at:]
    if fmt == "webp":
        return _webp_with_xmp(data, packet)
    raise ValueError(f"no XMP for format {fmt!r}")


def _webp_with_xmp(data: bytes, packet: bytes) -> bytes:
    # RIFF....WEBP, then chunks; XMP needs the extended header (VP8X) with its flag set.
    chunks, at = [], 12
    while at + 8 <= len(data):
        kind, size = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])[0]
        chunks.append([kind, data[at + 8:at + 8 + size]])
        at += 8 + size + (size & 1)
    if chunks[0][0] != b"VP8X":

        image = Image.open(io.BytesIO(data))
        alpha = 0x10 if "A" in image.mode else 0
        w, h = image.width - 1, image.height - 1
        chunks.insert(0, [b"VP8X", bytes([alpha, 0, 0, 0]) + w.to_bytes(3, "little")
                          + h.to_bytes(3, "little")])
    header = bytearray(chunks[0][1])
    header[0] |= 0x04  # XMP metadata present
    chunks[0][1] = bytes(header)
    chunks.append([b"XMP ", packet])
    body = b"".join(k + struct.pack("<I", len(p)) + p + (b"\x00" if len(p) & 1 else b"")
                    for k, p in chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


# --- signing material ---------------------------------------------------------------------

@dataclass(frozen=True)
class SigningMaterial:
    chain_pem: bytes
    key_pem: bytes
    alg: str
    tsa_url: str | None
    trust_anchors_pem: bytes | None
    development: bool


def dev_folder() -> Path:
    return data_dir() / "c2pa"


def signing_material() -> SigningMaterial:
    """The operator's certificate and key (env), else the development chain, made once."""
    config = settings()
    cert, key, anchors = config.c2pa_cert, config.c2pa_key, config.c2pa_trust_anchors
    tsa, alg = config.c2pa_tsa_url, config.c2pa_alg
    if cert or key:
        if not (cert and key):
            raise RuntimeError("set both TRYON_C2PA_CERT (PEM chain) and TRYON_C2PA_KEY (PEM key)")
        return SigningMaterial(Path(cert).read_bytes(), Path(key).read_bytes(), alg, tsa,
                               Path(anchors).read_bytes() if anchors else None, False)
    folder = ensure_dev_chain()
    return SigningMaterial((folder / "chain.pem").read_bytes(), (folder / "signer.key").read_bytes(),
                           "es256", tsa,
                           Path(anchors).read_bytes() if anchors else (folder / "root.pem").read_bytes(),
                           True)


def ensure_dev_chain() -> Path:
    """Make the development ES256 chain under ``data_dir()/c2pa`` if it is not there; the folder.

    A root CA (10 years) issues a signer (1 year; digitalSignature,
    emailProtection, as C2PA wants of a signing certificate). The private
    keys are written 0600. A file lock makes concurrent first runs make one chain.
    """
    folder = dev_folder()
    if (folder / "chain.pem").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "chain.pem").is_file():
            _write_dev_chain(folder)
    return folder


def _write_dev_chain(folder: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tryon development")])

    def usage(sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=sign, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                             crl_sign=ca, encipher_only=False, decipher_only=False)

    root_key, signer_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = name("tryon development root (not for production)")
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage(False, True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    signer = (x509.CertificateBuilder().subject_name(name("tryon development signer"))
              .issuer_name(root_name).public_key(signer_key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(usage(True, False), critical=True)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                             critical=False)
              .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM

    def private(key) -> bytes:
        return key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    atomic_write(folder / "root.key", private(root_key), 0o600, durable=True)
    atomic_write(folder / "signer.key", private(signer_key), 0o600, durable=True)
    atomic_write(folder / "root.pem", root.public_bytes(pem), 0o644, durable=True)
    # chain.pem last: its presence says the chain is complete
    atomic_write(folder / "chain.pem", signer.public_bytes(pem) + root.public_bytes(pem), 0o644, durable=True)


# --- signing and reading --------------------------------------------------------------------

def c2pa_context(material: SigningMaterial):
    """A c2pa ``Context`` for signing and reading with ``material``'s trust anchors."""
    settings = {"builder": {"thumbnail": {"enabled": False}},  # the image is its own thumbnail
                "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if material.trust_anchors_pem:
        settings["trust"] = {"trust_anchors": material.trust_anchors_pem.decode()}
    return c2pa.Context(c2pa.Settings.from_dict(settings))


def manifest_for(subject: Subject, fmt: str) -> dict:
    """The C2PA manifest definition of an image (or a GLB, ``fmt="glb"``) of ``subject``."""
    statement = subject.statement(_WHAT.get(fmt, "image"))
    assertions = [
        {"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created", "digitalSourceType": DIGITAL_SOURCE_TYPE,
            "softwareAgent": {"name": generator()}, "description": statement}]}},
        {"label": IPTC_LABEL, "data": {
            "@context": {"Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
                         "dc": "http://purl.org/dc/elements/1.1/",
                         "plus": "http://ns.useplus.org/ldf/xmp/1.0/"},
            "Iptc4xmpExt:DigitalSourceType": DIGITAL_SOURCE_TYPE,
            "dc:description": statement,
            **({"plus:ModelReleaseStatus": MODEL_RELEASE_LIMITED,
                "plus:ModelReleaseID": [subject.consent_grant]} if subject.twin else {})}},
    ]
    if subject.twin:
        assertions.append({"label": REPLICA_LABEL, "data": {
            "twin": subject.avatar_id, "consent_grant": subject.consent_grant,
            "computer_generated": True, "statement": statement}})
    return {"claim_generator_info": [{"name": "tryon", "version": generator().split(" ")[-1]}],
            "title": f"{subject.avatar_id}.{fmt}", "format": MEDIA_TYPES[fmt],
            "assertions": assertions}


def credential_image(data: bytes, fmt: str, subject: Subject) -> bytes:
    """``data`` with the XMP fields and a signed C2PA manifest for ``subject``."""
    fmt = "jpeg" if fmt == "jpg" else fmt
    return _signed(embed_xmp(data, fmt, xmp_packet(subject)), fmt, subject)


def credential_video(data: bytes, subject: Subject) -> bytes:
    """An MP4 with a signed C2PA manifest for ``subject`` embedded (its own box,
    bound by a BMFF hash). WebM has no C2PA embedding: it gets a sidecar
    (``tryon.twins.sidecar``)."""
    return _signed(data, "mp4", subject)


def _signed(data: bytes, fmt: str, subject: Subject) -> bytes:
    material = signing_material()
    info = c2pa.C2paSignerInfo(material.alg, material.chain_pem, material.key_pem, material.tsa_url)
    with c2pa_context(material) as context, c2pa.Signer.from_info(info) as signer, \
            c2pa.Builder(json.dumps(manifest_for(subject, fmt)), context) as builder:
        out = io.BytesIO()
        builder.sign(signer, MEDIA_TYPES[fmt], io.BytesIO(data), out)
    return out.getvalue()


def read_credentials(data: bytes, media_type: str | None = None) -> dict:
    """What an image's credentials say: validation, source type, replica assertion, signer, XMP.

    ``{"c2pa": None}`` when there is no manifest.
    """
    media_type = media_type or _sniff(data)
    material = signing_material()
    with c2pa_context(material) as context:
        reader = c2pa.Reader.try_create(media_type, io.BytesIO(data), None, context)
        if reader is None:
            return {"c2pa": None, "xmp": _xmp_fields(data)}
        with reader:
            store = json.loads(reader.json())
            state = reader.get_validation_state()
    return {"c2pa": summarize(store, state), "xmp": _xmp_fields(data)}


def summarize(store: dict, state: str) -> dict:
    """What a manifest store (as c2pa's ``Reader.json()``) says, and its validation ``state``."""
    manifest = store["manifests"][store["active_manifest"]]
    by_label = {a["label"]: a.get("data") for a in manifest.get("assertions", [])}
    actions = (by_label.get("c2pa.actions.v2") or by_label.get("c2pa.actions") or {}).get("actions", [])
    return {
        "validation_state": state,
        "validation_status": store.get("validation_status") or [],
        "digital_source_type": next((a.get("digitalSourceType") for a in actions
                                     if a.get("action") == "c2pa.created"), None),
        "replica": by_label.get(REPLICA_LABEL),
        "iptc": by_label.get(IPTC_LABEL),
        "signature": manifest.get("signature_info"),
        "title": manifest.get("title"),
    }


def _sniff(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    raise ValueError("not a PNG, JPEG, WebP or MP4 file")


def _xmp_fields(data: bytes) -> dict:
    """The IPTC fields of the first XMP packet in ``data`` (a byte search; enough for ours)."""
    start = data.find(b"<x:xmpmeta")
    end = data.find(b"</x:xmpmeta>", start)
    if start < 0 or end < 0:
        return {}
    xml = data[start:end].decode("utf-8", "replace")
    fields = {}
    for name, pattern in (("digital_source_type", r'Iptc4xmpExt:DigitalSourceType="([^"]*)"'),
                          ("creator_tool", r'xmp:CreatorTool="([^"]*)"'),
                          ("description", r"<rdf:li xml:lang=\"x-default\">(.*?)</rdf:li>"),
                          ("model_release_id", r"<plus:ModelReleaseID><rdf:Bag><rdf:li>(.*?)</rdf:li>")):
        found = re.search(pattern, xml, re.S)
        if found:
            fields[name] = found.group(1)
    return fields
