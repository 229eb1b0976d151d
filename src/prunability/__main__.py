from prunability.cli import main

raise SystemExit(main())
