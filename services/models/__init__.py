"""All tables; importing this package registers every model on `Base.metadata`."""

from services.models.base import Base, utcnow
from services.models.conversation import CodeAttempt, ConversationState
from services.models.delivery import (
    AlbumItem,
    Broadcast,
    ChannelLease,
    InboundUpdate,
    OutboxMessage,
    ProcessedUpdate,
    ReminderClaim,
)
from services.models.funds import FundReceipt, KKChangeRequest, Spending
from services.models.invitation import Invitation
from services.models.people import AuditLog, ChannelIdentity, Person, Role
from services.models.pesan import Pesan
from services.models.reports import Media, ReportDraft, ReportStatus, StageReport
from services.models.rt import RT, JumlahKKHistory
from services.models.web import WebLoginLink, WebSession
from services.models.whatsapp import WhatsAppMenu, WhatsAppTemplateSend
from services.models.wilayah import Kecamatan, Kelurahan

__all__ = [
    "RT",
    "AlbumItem",
    "AuditLog",
    "Base",
    "Broadcast",
    "ChannelIdentity",
    "ChannelLease",
    "CodeAttempt",
    "ConversationState",
    "FundReceipt",
    "InboundUpdate",
    "Invitation",
    "JumlahKKHistory",
    "KKChangeRequest",
    "Kecamatan",
    "Kelurahan",
    "Media",
    "OutboxMessage",
    "Person",
    "Pesan",
    "ProcessedUpdate",
    "ReminderClaim",
    "ReportDraft",
    "ReportStatus",
    "Role",
    "Spending",
    "StageReport",
    "WebLoginLink",
    "WebSession",
    "WhatsAppMenu",
    "WhatsAppTemplateSend",
    "utcnow",
]
