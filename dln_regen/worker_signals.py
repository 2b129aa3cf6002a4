"""Ctrl-C in worker processes: leave quietly. Imported by the fork server only.

A Ctrl-C on a terminal reaches every process of its group. The run's process
reports it and keeps what was tracked; a worker should just leave, without a
traceback of its own. The fork server imports this module first (see
``parallel.WORKER_MODULES``); every worker it forks restores the handler the
server had when it began, this one, so a worker is quiet from its first
instruction, also while it is still starting.
"""

import os
import signal


def _leave(signum, frame):
    os._exit(128 + signum)


signal.signal(signal.SIGINT, _leave)
