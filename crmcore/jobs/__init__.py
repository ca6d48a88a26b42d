"""Background work on RQ: the queue, the job runner inside workers, schedules, and the embedded Redis."""
