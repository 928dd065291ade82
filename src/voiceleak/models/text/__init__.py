"""Text-only models: the second stage of a cascade, usable on their own as text-only baselines.

`transcript` holds the one convention shared by the cascade and text scorers: how a transcript is
delimited inside a prompt, and the two instructions a cascade answers from its speech recogniser.
"""
