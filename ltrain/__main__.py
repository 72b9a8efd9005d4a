"""`python -m ltrain` (and `torchrun -m ltrain`): the same command as the `ltrain` script."""
from ltrain.cli.main import main

raise SystemExit(main())
