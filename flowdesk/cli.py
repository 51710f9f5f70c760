"""The `flowdesk` command: database, deployment, users, web server, worker, demo data."""

from __future__ import annotations

from pathlib import Path

import typer

from domain.settings import get_settings

app = typer.Typer(help="Flowdesk: executable BPMN for lead-to-cash, procurement and after-sales.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Built-in users and groups.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained event log.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Migrate the database to the newest schema."""
    from flowdesk.migrate import upgrade_database

    upgrade_database(get_settings().database_url, revision)
    typer.echo(f"database at {revision}: {get_settings().database_url}")


@app.command()
def deploy(files: list[Path], actor: str = typer.Option("admin", help="recorded as the deployer")) -> None:
    """Deploy BPMN, DMN and form files (one bundle); prints each process key and version."""
    from domain.db import transaction
    from domain.errors import FlowdeskError
    from engine.bundle import BundleFile
    from engine.deployment import deploy as deploy_bundle

    try:
        with transaction() as session:
            results = deploy_bundle(session=session, files=[BundleFile.from_path(f) for f in files], actor=actor)
            for r in results:
                state = "deployed" if r.created else "unchanged"
                typer.echo(f"{r.definition.key} v{r.definition.version} {state}")
    except FlowdeskError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        for e in exc.errors:
            where = ":".join(str(x) for x in (e.get("file"), e.get("line")) if x)
            typer.echo(f"  {where} {e.get('element_id') or ''} {e.get('message')}", err=True)
        raise typer.Exit(1) from exc


@users_app.command("add")
def users_add(
    name: str,
    group: list[str] = typer.Option([], "--group", "-g", help="repeat for several groups"),
    password: str = typer.Option(..., prompt=True, hide_input=True),
    locale: str | None = typer.Option(None, help="en or zh_Hans_CN"),
) -> None:
    """Create a user in the given groups."""
    from domain.db import transaction
    from domain.errors import FlowdeskError
    from domain.identity.service import create_user

    try:
        with transaction() as session:
            create_user(session=session, username=name, password=password, groups=group, locale=locale)
    except FlowdeskError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"user {name} created in {', '.join(group) or 'no group'}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Verify every event chain (links and recorded head) and every archive batch; exit 1 when any is broken."""
    from domain.db import get_sessionmaker
    from engine.audit import verify
    from engine.retention import describe, verify_archive

    with get_sessionmaker()() as session:
        result = verify(session=session)
        archived = verify_archive(session=session)
    state = "intact" if result.intact else f"{len(result.breaks)} broken"
    typer.echo(f"{result.chains} chains, {result.events} events verified: {state}")
    for b in result.breaks:
        typer.echo(f"broken: {b.chain} at seq {b.seq} ({b.reason})")
    if archived.batches or archived.breaks:
        state = "intact" if archived.intact else f"{len(archived.breaks)} broken"
        typer.echo(f"{archived.batches} archive batches, {archived.events} archived events verified: {state}")
    for a in archived.breaks:
        typer.echo(f"broken: {describe(a)}")
    if not (result.intact and archived.intact):
        raise typer.Exit(1)


@audit_app.command("archive")
def audit_archive(
    dry_run: bool = typer.Option(False, "--dry-run", help="show what would be archived; change nothing"),
    days: int | None = typer.Option(None, help="override FLOWDESK_RETENTION_DAYS"),
    actor: str = typer.Option("retention", help="recorded as who archived"),
) -> None:
    """Archive the history of instances completed or cancelled more than the retention days ago."""
    from domain.db import get_sessionmaker
    from engine import retention

    policy = days if days is not None else get_settings().retention_days
    if policy is None:
        typer.echo("retention is off: set FLOWDESK_RETENTION_DAYS or pass --days (history is kept forever)")
        return
    if dry_run:
        with get_sessionmaker()() as session:
            todo = retention.plan(session=session, days=policy, limit=1_000_000)
        typer.echo(f"dry run: {len(todo.instance_ids)} instances, {todo.event_count} events ended before "
                   f"{todo.cutoff.isoformat(timespec='seconds')} would be archived")
        return
    written = retention.archive_due(session_factory=get_sessionmaker(), actor=actor, days=policy)
    typer.echo(f"{len(written)} archive batches written" + (f": {', '.join(map(str, written))}" if written else ""))


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, embedded_worker: bool = True) -> None:
    """Run the web server (and, unless a broker is configured, the in-process job worker)."""
    import uvicorn

    from web.app import create_app

    if get_settings().broker_url:
        from tasks.celery_app import install_dispatcher

        install_dispatcher()
    elif embedded_worker:
        from tasks.embedded import start_embedded_worker

        start_embedded_worker()
    uvicorn.run(create_app(), host=host, port=port, log_level="info")


@app.command()
def worker(concurrency: int = 2, loglevel: str = "info", pool: str = "prefork") -> None:
    """Run a Celery worker (needs FLOWDESK_BROKER_URL, e.g. redis://127.0.0.1:6379/0)."""
    from tasks.celery_app import celery_app

    if not get_settings().broker_url:
        typer.echo("error: set FLOWDESK_BROKER_URL to run a Celery worker", err=True)
        raise typer.Exit(1)
    celery_app.worker_main(
        ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", f"--pool={pool}", "--without-gossip"]
    )


@app.command()
def beat(loglevel: str = "info") -> None:
    """Run the Celery beat scheduler (the periodic sweep of due and orphaned jobs)."""
    from tasks.celery_app import celery_app

    if not get_settings().broker_url:
        typer.echo("error: set FLOWDESK_BROKER_URL to run beat", err=True)
        raise typer.Exit(1)
    celery_app.start(["beat", f"--loglevel={loglevel}", "--schedule=/tmp/flowdesk-beat-schedule"])


@app.command()
def demo(
    size: str = typer.Option("full", help="full (300 customers, 6 weeks of history), small (for tests) or minimal"),
    instances: int = typer.Option(6, help="minimal only: lead-to-cash instances to leave in flight"),
) -> None:
    """Demo users (password 'demo'), customers, items, stock, deployed processes and weeks of simulated work."""
    import time

    from flowdesk.demo import load_demo

    if size not in ("full", "small", "minimal"):
        typer.echo(f"error: unknown size {size!r} (full, small or minimal)", err=True)
        raise typer.Exit(2)
    started = time.monotonic()
    for line in load_demo(instances=instances, size=None if size == "minimal" else size):
        typer.echo(line)
    typer.echo(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    app()
