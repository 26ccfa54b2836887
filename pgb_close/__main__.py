import sys

from pgb_close.cli import main

sys.exit(main())
