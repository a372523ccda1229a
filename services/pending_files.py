"""Files that become visible only when the database row naming them commits.

A file is written under a temporary name (`.tmp-<uuid>` in its final folder) and handed here with its final name.
When the session's transaction commits, it is renamed into place (`os.replace`, atomic on one filesystem); when the
transaction ends any other way (rollback, an error, a session closed without commit) the temporary file is deleted.
So a rolled-back report leaves no photo behind, and no reader ever finds a row whose file is not there yet. A crash
between the two leaves only a `.tmp-` file, which the media sweeper removes a day later.
"""

import contextlib
import logging
import os
import uuid
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

TEMPORARY_PREFIX = ".tmp-"
_PENDING = "pending_files"


def temporary_name(target: Path) -> Path:
    """A name of its own next to the target: two workers storing the same photo at once never share one file."""
    return target.with_name(f"{TEMPORARY_PREFIX}{uuid.uuid4().hex}")


def publish_on_commit(session: AsyncSession | Session, temporary: Path, target: Path) -> None:
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_PENDING, []).append((temporary, target))


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    for temporary, target in session.info.pop(_PENDING, []):
        try:
            os.replace(temporary, target)
        except OSError:  # the row is committed already: say so loudly, the commit itself cannot be undone
            log.exception("committed media file %s could not be moved into place", target)


@event.listens_for(Session, "after_transaction_end")
def _discard(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction decides: a savepoint's end is not the end of the unit of work. After a commit
    # `_publish` has emptied the list already; whatever is left here belonged to work that was not committed.
    if transaction.parent is not None:
        return
    for temporary, _target in session.info.pop(_PENDING, []):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
