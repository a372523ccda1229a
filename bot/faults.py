"""Fault points for crash tests, armed by the environment at start: TEST-ONLY, never set in production.

`KB_FAULT=<name>` makes the process kill itself with SIGKILL (no clean-up, no `finally`, exactly like a crash) the
first time it reaches the point of that name. Known points:
- `after_commit_before_send`: an answer's work and its outbox rows are committed, its send has not started
  (bot/channels/direct.py); tests/bot/channels/test_reply_outbox_crash.py arms it.

Read once, when this module is imported: unset (always, outside those tests), `point` is one comparison with None.
"""

import os
import signal

ARMED = os.environ.get("KB_FAULT") or None


def point(name: str) -> None:
    if ARMED is not None and name == ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
