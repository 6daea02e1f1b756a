"""`python -m consult` is the `consult` command."""

from consult import main

main()
