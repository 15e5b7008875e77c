"""`tryon prepare` and `tryon avatars`: the body model and the avatar library.

The body model and everything built on it import torch (seconds): the
commands import them when they run, so that other commands start at once.
"""

from __future__ import annotations

import json

from tryon.core.settings import log_progress, settings


def cmd_prepare(args) -> int:
    # torch (body models, library, mannequins): only when the command runs
    from avatars.body_models.anny_model import prepare_anny
    from avatars.body_models.registry import backend_name
    from avatars.library import prepare_library
    from garments.mannequin import mannequins
    from tryon.sewing.samples import install_samples
    from garments.store import GarmentStore

    if backend_name() == "anny":
        prepare_anny()
    avatars = prepare_library()
    mannequins()
    store = GarmentStore(settings().garments_dir)
    install_samples(store, log=log_progress)
    print(f"Ready: {len(avatars)} library avatars on the {backend_name()} body model, "
          f"{len(store.list())} garments.")
    return 0


def cmd_avatars(args) -> int:
    from avatars.library import library  # torch: only when the command runs

    avatars = list(library().values())
    if args.json:
        print(json.dumps([a.summary() for a in avatars], indent=2))
        return 0
    for a in avatars:
        m = a.measurements
        print(f"{a.id:10} {a.label:28} tone {a.skin_tone:2}  chest {m['chest_girth']:5.1f}"
              f"  waist {m['waist_girth']:5.1f}  hips {m['hip_girth']:5.1f} cm")
    return 0


def add_commands(commands) -> None:
    p = commands.add_parser("prepare", help="prepare body-model data and the avatar library once")
    p.set_defaults(run=cmd_prepare)

    p = commands.add_parser("avatars", help="list the avatar library")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_avatars)
