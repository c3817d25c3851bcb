"""``python -m demo``: run the demo story."""

from demo.run import main

raise SystemExit(main())
