"""Files that become visible only when the database row naming them commits.

A file is written under a temporary name (`.tmp-<uuid>` in its final folder) and handed here with its final name.
When the session's transaction commits, it is renamed into place (`os.replace`, atomic on one filesystem); when the
transaction ends any other way (rollback, an error, a session closed without commit) the temporary file is deleted.
A savepoint rolled back (`begin_nested`: a report refused inside a step that then goes on) deletes the files written
inside it at once, even though the unit of work around it commits.
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
    # The innermost transaction: a rollback of it, or of anything around it, takes the file away.
    within = sync.get_nested_transaction() or sync.get_transaction()
    sync.info.setdefault(_PENDING, []).append((temporary, target, within))


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    for temporary, target, _within in session.info.pop(_PENDING, []):
        try:
            os.replace(temporary, target)
        except OSError:  # the row is committed already: say so loudly, the commit itself cannot be undone
            log.exception("committed media file %s could not be moved into place", target)


@event.listens_for(Session, "after_soft_rollback")
def _discard_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """A savepoint (or the whole transaction) rolled back: the files written inside it go with it."""
    pending = session.info.get(_PENDING, [])
    gone = [entry for entry in pending if _inside(entry[2], previous_transaction)]
    session.info[_PENDING] = [entry for entry in pending if entry not in gone]
    _delete(gone)


@event.listens_for(Session, "after_transaction_end")
def _discard(session: Session, transaction: SessionTransaction) -> None:
    # Only the outermost transaction decides: a savepoint's end is not the end of the unit of work. After a commit
    # `_publish` has emptied the list already; whatever is left here belonged to work that was not committed.
    if transaction.parent is None:
        _delete(session.info.pop(_PENDING, []))


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _delete(entries: list) -> None:
    for temporary, _target, _within in entries:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
