"""Jobs on Dask: optimise, frontier and demand runs of stored scenarios, with progress,
cancel and results stored with the scenario version they came from."""

from maasmix.api.jobs.runner import JobRunner, LocalClusterOptions
from maasmix.api.jobs.service import Services, ServicesDep, close_services, open_services
from maasmix.api.jobs.tasks import JobCancelled, run_job

__all__ = [
    "JobCancelled",
    "JobRunner",
    "LocalClusterOptions",
    "Services",
    "ServicesDep",
    "close_services",
    "open_services",
    "run_job",
]
