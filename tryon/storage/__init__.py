"""Storage: the database and its tables, blobs, sealed blobs, keys and tenants.

Tables are declared in ``models`` and, one concept to a module, in
``fit_outcomes``; importing the package declares them all, so that
``models.Base.metadata`` (migrations, their check) always sees every table.
"""

from tryon.storage import fit_outcomes  # noqa: F401 (declares its table)
