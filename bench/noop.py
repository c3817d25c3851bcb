"""The baseline job of bench/e2e.py: RQ's own cost per job, with Storeflow's worker, and nothing else."""


def noop() -> None:
    """Do nothing; the worker around it is what is measured."""
