"""Studies: compositions of ordinary runs. Each declares the cells it needs (model, task, transform,
clips) and the analysis that reads them; the one Runner runs them, logs, caches and resumes."""
