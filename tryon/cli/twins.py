"""`tryon twins`, `verify-image`: twins, and images' credentials (the ledger: ``tryon.cli.ledger``).

Twins import the body model (torch, seconds): the commands import
``tryon.twins.lifecycle`` when they run, so that other commands start at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import c2pa
from sqlalchemy import select

from tryon.cli.common import fail
from tryon.core.settings import settings
from tryon.storage.blobs import open_blob_store
from tryon.storage.database import session_scope, upgrade_database
from tryon.storage.models import Twin
from tryon.twins.credentials import read_credentials
from tryon.twins.sidecar import read_sidecar


def cmd_twins_add(args) -> int:
    from tryon.twins.lifecycle import describe_twin, fit_twin, start_twin  # torch

    upgrade_database()
    try:
        data = Path(args.scan).read_bytes()
    except OSError as e:
        return fail(f"cannot read the scan: {e}")
    blobs = open_blob_store(settings())
    # a consent, scan or option that is refused is the user's: main says why
    twin = start_twin(data, Path(args.scan).name, args.consent, sex=args.sex,
                      skin_tone=args.skin_tone, label=args.label, blobs=blobs)
    print(f"fitting twin {twin.id} (up to about a minute) ...", file=sys.stderr, flush=True)
    twin = fit_twin(twin.id, blobs)  # in this process: the command is the job runner
    print(json.dumps(describe_twin(twin), indent=2))
    return 0 if twin.status == "ready" else 1


def cmd_twins_list(args) -> int:
    from tryon.twins.lifecycle import describe_twin  # torch

    upgrade_database()
    with session_scope() as session:
        found = [describe_twin(t) for t in session.scalars(select(Twin).order_by(Twin.created_at))]
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    for t in found:
        p95 = ((t["fit"] or {}).get("percentiles_mm") or {}).get("p95")
        print(f"{t['id']}  {t['status']:9} {t['talent']}  {t['label']}"
              + (f"  fit p95 {p95:.1f} mm" if p95 is not None else ""))
    return 0


WEBM_MAGIC = b"\x1aE\xdf\xa3"  # EBML, which WebM files start with


def cmd_verify_image(args) -> int:
    try:
        data = Path(args.file).read_bytes()
        fmt = "webm" if data[:4] == WEBM_MAGIC else "glb"
        if args.manifest:  # a file that carries none (a GLB, a WebM): its sidecar manifest
            found = {"c2pa": read_sidecar(data, Path(args.manifest).read_bytes(), fmt)}
        elif data[:4] in (b"glTF", WEBM_MAGIC):
            return fail(f"a {fmt.upper()} carries no credentials of its own: pass its sidecar "
                        "manifest with --manifest FILE.c2pa (the blob its Link header names)")
        else:
            found = read_credentials(data)
    except (OSError, ValueError, c2pa.C2paError) as e:
        return fail(str(e))
    print(json.dumps(found, indent=2))
    valid = found["c2pa"] is not None and found["c2pa"]["validation_state"] != "Invalid"
    return 0 if valid else 1


def add_commands(commands) -> None:
    p = commands.add_parser("twins", help="digital twins of consenting models")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_twins_list)
    add = p.add_subparsers(dest="action").add_parser(
        "add", help="fit a twin to a scan under a creation consent; prints it as JSON")
    add.add_argument("scan", help="PLY, OBJ or GLB; mesh or point cloud")
    add.add_argument("--consent", required=True, help="the model's active creation consent")
    add.add_argument("--sex", choices=["female", "male"])
    add.add_argument("--skin-tone", type=int, default=5, help="Monk skin tone 1-10")
    add.add_argument("--label")
    add.set_defaults(run=cmd_twins_add)

    p = commands.add_parser("verify-image", help="show the content credentials (C2PA, XMP) of an "
                                                 "image or MP4, or of a GLB or WebM with its sidecar "
                                                 "manifest")
    p.add_argument("file")
    p.add_argument("--manifest", help="the sidecar manifest (.c2pa) of a file without its own")
    p.set_defaults(run=cmd_verify_image)
