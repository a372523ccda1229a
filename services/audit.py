"""The audit log: one row for every change a person or an admin makes."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.models import AuditLog


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    person_id: int | None = None,
    **detail: Any,
) -> None:
    """Add an audit row to the session; it commits (or rolls back) with the change it describes."""
    session.add(
        AuditLog(
            person_id=person_id,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            detail=detail,
        )
    )
