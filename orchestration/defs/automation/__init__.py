"""When things run and who hears of failures: the job, schedule, sensor and alert."""
