import sys

from benchgen.cli import main

sys.exit(main())
