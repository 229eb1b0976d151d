import sys

from prunability.warm import run_remotely

# A warm worker runs the command when the workflow started one (prunability/warm.py).
status = run_remotely(sys.argv[1:])
if status is None:
    from prunability.cli import main

    status = main()
raise SystemExit(status)
