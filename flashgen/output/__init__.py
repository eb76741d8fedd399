"""What a run leaves: saved files, the task cache, status, the run report."""
