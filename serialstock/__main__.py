"""`python -m serialstock`: the console command."""

import sys

from serialstock.cli import main

sys.exit(main())
