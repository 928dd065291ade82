"""The sections of report.html, one module per analysis of `voiceleak.analysis` (the studies' modules
also print their terminal tables); each registers itself with `report.html.section`. Importing this
package registers them, in this order on the page."""
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
    decision,
    defenses,
    hearsay,
    identity,
    privilege,
)
