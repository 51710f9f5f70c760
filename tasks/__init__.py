"""Job transports: Celery (scale-out) and an in-process thread (embedded default). Both call engine.jobs.run_job."""
