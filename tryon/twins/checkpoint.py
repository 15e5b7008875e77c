"""Ledger checkpoints: the ledger's head, signed, published where the database's
owner cannot edit it.

A hash chain shows any edit of an entry unless every later entry and the
head are rewritten too; whoever controls the database could do that. A
checkpoint closes the gap: ``make_checkpoint`` verifies the chain and signs
its head (entry number and hash, with the time) with the content-credentials
key (``tryon.twins.credentials.signing_material``: the operator's
certificate, or the development chain). Written to a file the models or an
auditor keep, or POSTed to a URL they run, it lets anyone later check
(``verify_against``) that the ledger still holds that head at that number,
so nothing before it was rewritten.

A checkpoint is JSON: ``{"payload": {"ledger", "seq", "head_hash",
"created_at"}, "alg", "signature" (base64 over the payload's canonical
JSON), "certificate_chain" (PEM, signer first)}``.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from sqlalchemy import select
from sqlalchemy.orm import Session

from tryon.storage.models import UsageEntry, utcnow
from tryon.twins.credentials import signing_material
from tryon.twins.ledger import verify

LEDGER_NAME = "tryon usage ledger"
POST_TIMEOUT_S = 15


class CheckpointError(ValueError):
    """A checkpoint that cannot be made, read or trusted; the message says why."""


def make_checkpoint(session: Session) -> dict:
    """The signed checkpoint of the ledger's head; CheckpointError if the chain
    does not verify (a broken ledger is not signed)."""
    found = verify(session)
    if not found.ok:
        raise CheckpointError("the ledger does not verify, so its head is not signed: "
                              + "; ".join(found.problems))
    payload = {"ledger": LEDGER_NAME, "seq": found.head_seq, "head_hash": found.head_hash,
               "created_at": utcnow().isoformat(timespec="seconds")}
    material = signing_material()
    key = serialization.load_pem_private_key(material.key_pem, password=None)
    alg, signature = _sign(key, _canonical(payload))
    return {"payload": payload, "alg": alg,
            "signature": base64.b64encode(signature).decode(),
            "certificate_chain": material.chain_pem.decode()}


@dataclass(frozen=True)
class CheckpointCheck:
    """What ``verify_against`` found: the checkpoint's entry number and whether the
    ledger still holds its head there; problems say what does not hold."""

    seq: int
    signer: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_against(session: Session, checkpoint: dict) -> CheckpointCheck:
    """Check the checkpoint's signature, that its signer chains to the trust anchors
    (the operator's, or the development root), and that the ledger still verifies
    and holds the checkpoint's head hash at its entry number."""
    try:
        payload = checkpoint["payload"]
        signature = base64.b64decode(checkpoint["signature"], validate=True)
        chain = x509.load_pem_x509_certificates(checkpoint["certificate_chain"].encode())
        seq, head_hash = int(payload["seq"]), str(payload["head_hash"])
    except (KeyError, TypeError, ValueError) as error:
        raise CheckpointError(f"not a tryon ledger checkpoint: {error}") from None
    signer, problems = chain[0], []
    try:
        _verify_signature(signer.public_key(), signature, _canonical(payload))
    except InvalidSignature:
        problems.append("the signature does not match the checkpoint: it was altered")
    if not _chains_to_anchor(chain):
        problems.append("the signer's certificate does not chain to a trusted root "
                        "(TRYON_C2PA_TRUST_ANCHORS, or the development root)")
    found = verify(session)
    problems += found.problems
    if seq > 0:
        at = session.scalar(select(UsageEntry.entry_hash).where(UsageEntry.seq == seq))
        if at is None:
            problems.append(f"the ledger has no entry {seq}: entries were cut off")
        elif at != head_hash:
            problems.append(f"entry {seq} is not the one signed: the ledger up to it was "
                            "rewritten")
    return CheckpointCheck(seq, signer.subject.rfc4514_string(), tuple(problems))


def publish(checkpoint: dict, url: str) -> int:
    """POST the checkpoint as JSON to ``url``; the HTTP status (OSError if unreachable)."""
    request = urllib.request.Request(url, data=json.dumps(checkpoint).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=POST_TIMEOUT_S) as response:
        return response.status


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def _sign(key, data: bytes) -> tuple[str, bytes]:
    """(the algorithm's JOSE name, the signature) of ``data`` with ``key``."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ES256", key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return "PS256", key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                                 hashes.SHA256())
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "Ed25519", key.sign(data)
    raise CheckpointError(f"cannot sign with a {type(key).__name__}: use an EC, RSA or "
                          "Ed25519 key")


def _verify_signature(public_key, signature: bytes, data: bytes) -> None:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    elif isinstance(public_key, rsa.RSAPublicKey):
        public_key.verify(signature, data, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                          hashes.SHA256())
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        public_key.verify(signature, data)
    else:
        raise InvalidSignature()


def _chains_to_anchor(chain: list[x509.Certificate]) -> bool:
    """Whether each certificate is issued by the next and the last by a trust anchor."""
    anchors_pem = signing_material().trust_anchors_pem
    if anchors_pem is None:
        return False
    anchors = x509.load_pem_x509_certificates(anchors_pem)
    try:
        for child, parent in zip(chain, chain[1:]):
            child.verify_directly_issued_by(parent)
        last = chain[-1]
        for anchor in anchors:
            if last == anchor:
                return True
            try:
                last.verify_directly_issued_by(anchor)
                return True
            except (ValueError, TypeError, InvalidSignature):
                continue
    except (ValueError, TypeError, InvalidSignature):
        return False
    return False
