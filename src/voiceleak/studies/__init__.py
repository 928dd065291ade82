"""Studies: compositions of ordinary runs. Each declares the cells it needs (model, task, transform,
clips) and the analysis that reads them; the one Runner runs them, logs, caches and resumes.

- `base`: StudyPlan, what a study asks of the Runner (a plain `voiceleak run` is `plain_run(config)`)
- `execute`: the one path every command takes: plan stated, errors, Ctrl-C, finishing, the report
- `privilege`, `decisions`, `defend`: the studies; `judge`: a scorer run on another run's replies
"""
