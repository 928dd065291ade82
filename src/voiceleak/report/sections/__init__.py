"""One HTML section of report.html per analysis of `voiceleak.analysis` (each registers itself with
`report.html.section`); the larger studies' sections and terminal tables are the `report.*_view`
modules. Importing this package registers these sections, in this order on the page."""
# The order of the registering imports below is the order of the output: not sorted.
# isort: skip_file

from voiceleak.report.sections import (  # noqa: F401  (the imports register, in this order)
    blind,
    fairness,
    judging,
    prompts,
    repeats,
    bystander,
    emotion,
    verify,
    words_voice,
    defenses,
)
