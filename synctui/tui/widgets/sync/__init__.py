"""What synchronising did and does: the verdict banner, the sync log, the jobs, a sync in progress."""
