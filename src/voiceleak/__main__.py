"""`python -m voiceleak` is the command line."""

from voiceleak.cli import main

main()
