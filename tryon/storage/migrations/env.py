"""Alembic's entry point for tryon's migrations (``tryon.storage.database.upgrade_database`` runs it).

It migrates the connection that ``upgrade_database`` passes in
``config.attributes["connection"]``, inside the transaction and lock that
function holds; without one (Alembic called directly, e.g.
``command.revision(alembic_config(), autogenerate=True)``) it connects to
the configuration's ``sqlalchemy.url`` itself. Offline (``--sql``) mode is
not supported.
"""

from alembic import context

from tryon.storage.database import make_engine
from tryon.storage.models import Base


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; generated migrations rebuild tables instead
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("tryon's migrations run against a database, not in --sql mode")

connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as own_connection:
            run_migrations(own_connection)
            own_connection.commit()
    finally:
        engine.dispose()
