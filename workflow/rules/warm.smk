# Local runs: one warm fork server imports torch and the package once, and every
# stage command (`python -m prunability …`, unchanged) runs in a child forked from
# it instead of paying ~2 s of imports (prunability/warm.py). Cluster jobs and
# PRUNABILITY_WARM=0 run each command in its own fresh process, as always.
from prunability import warm

if (workflow.is_main_process and workflow.local_exec and not is_dry_run()
        and os.environ.get("PRUNABILITY_WARM") != "0"):
    os.environ[warm.SOCKET_ENV] = warm.socket_path()
    warm.start(os.environ[warm.SOCKET_ENV])
