import sys

from .server import MODULE_COMMAND, main

sys.exit(main(prog=MODULE_COMMAND))
