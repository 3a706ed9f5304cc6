import sys

from ._requirements import main

sys.exit(main(prog="python -m conformance"))
