"""/lapor, the evidence step: photos and documents (albums count together), an optional location, then "Done".

Nothing is downloaded or stored here: only the channel's references are kept in the conversation, checked by kind,
type and size. The files are fetched and saved when the person confirms the report (see lapor.py).
"""

from handlers.context import Context
from handlers.flow import Data, Goto, Outcome, Stay
from handlers.flows.evidence_fetch import problem_text
from handlers.flows.ketua_common import picked
from handlers.formatting import tanpa_nol
from handlers.i18n import _
from handlers.messages import Choice, Expect, Incoming, Kind, MediaItem, Reply
from services import reports
from services.program import Stage

DONE = {"done": ("selesai", "selesai kirim", "sudah", "done")}


def counts(data: Data) -> tuple[int, int]:
    files = data.get("files", [])
    return (
        sum(1 for f in files if f["counts_as"] == reports.PHOTO),
        sum(1 for f in files if f["counts_as"] == reports.DOCUMENT),
    )


def missing_text(missing_photos: int, missing_documents: int) -> str:
    if missing_photos and missing_documents:
        return _(
            "{photos} more photo(s) and {documents} more document(s)",
            photos=missing_photos,
            documents=missing_documents,
        )
    if missing_photos:
        return _("{photos} more photo(s)", photos=missing_photos)
    return _("{documents} more document(s)", documents=missing_documents)


def evidence_text(photos: int, documents: int) -> str:
    """`3 photos, 1 document`, leaving out a zero; empty when there is nothing."""
    return tanpa_nol(
        [
            (photos, _("{count} photo(s)", count=photos)),
            (documents, _("{count} document(s)", count=documents)),
        ]
    )


def needed_text(stage: Stage) -> str:
    if stage.dokumen_nama:
        return _named_text(stage)
    if not stage.foto_min and not stage.dokumen_min:
        # Nothing is required: "at least 0 photos" would read as a mistake.
        return _("photos or PDF documents, if there are any")
    if stage.foto_min and stage.dokumen_min:
        return _(
            "at least {photos} photo(s) and {documents} document(s) (PDF or a photo of the paper)",
            photos=stage.foto_min,
            documents=stage.dokumen_min,
        )
    if stage.dokumen_min:
        return _("at least {documents} document(s) (PDF or a photo of the paper)", documents=stage.dokumen_min)
    return _("at least {photos} photo(s)", photos=stage.foto_min)


def _named_text(stage: Stage) -> str:
    """What a stage that names its documents asks for: "1 photo and the SK Pokja (a photo or a PDF file)"."""
    names = ", ".join(stage.dokumen_nama)
    if stage.foto_min and stage.dokumen_min:
        return _(
            "at least {photos} photo(s) of the activity, and {names} (a photo or a PDF file)",
            photos=stage.foto_min,
            names=names,
        )
    if stage.dokumen_min:
        return _("{names} (a photo or a PDF file)", names=names)
    return _(
        "at least {photos} photo(s); also {names} if you have it (a photo or a PDF file)",
        photos=stage.foto_min,
        names=names,
    )


def received_text(stage: Stage, photos: int, documents: int) -> str:
    # Only what the stage asks for (or what was sent anyway): "0 documents" on a photo stage just confuses.
    if not stage.dokumen_min and not documents:
        return _("Received: {photos} photo(s).", photos=photos)
    if not stage.foto_min and not photos:
        return _("Received: {documents} document(s).", documents=documents)
    return _("Received: {photos} photo(s), {documents} document(s).", photos=photos, documents=documents)


async def ask_media(ctx: Context, data: Data) -> Reply:
    stage = ctx.program.stage(data["stage"])
    photos, documents = counts(data)
    missing = reports.missing_evidence(stage, photos, documents)
    lines = []
    if not data.get("files"):
        lines.append(_("Now send the evidence of {stage}: {needed}.", stage=stage.nama, needed=needed_text(stage)))
        lines.append(_("You can send several at once. You may also share your location (optional)."))
    else:
        lines.append(received_text(stage, photos, documents))
    if any(missing):
        lines.append(_("Still needed: {missing}.", missing=missing_text(*missing)))
        lines.append(_("When you have sent them all, press Done sending."))
    else:
        lines.append(_("That is enough. Send more if you like, or press Done sending."))
    return Reply("\n".join(lines), (Choice("done", _("Done sending")),), Expect.MEDIA)


async def handle_media(ctx: Context, data: Data, incoming: Incoming) -> Outcome:
    stage = ctx.program.stage(data["stage"])
    if incoming.kind == Kind.MEDIA and incoming.media:
        return receive(stage, data, incoming.media)
    if incoming.kind == Kind.LOCATION and incoming.latitude is not None and incoming.longitude is not None:
        if not (-90 <= incoming.latitude <= 90 and -180 <= incoming.longitude <= 180):
            return Stay(_("That location cannot be read. You can skip it: it is optional."))
        data["lat"], data["lon"] = incoming.latitude, incoming.longitude
        return Goto("media", (Reply(_("Location received, thank you.")),))
    if picked(incoming, DONE):
        missing = reports.missing_evidence(stage, *counts(data))
        if any(missing):
            return Stay(_("Not enough yet. Still needed: {missing}.", missing=missing_text(*missing)))
        return Goto("confirm")
    if incoming.kind == Kind.UNSUPPORTED:
        return Stay(_("That kind of message cannot be used as evidence. Please send photos or PDF documents."))
    return Stay(_("Please send photos or documents here, then press Done sending."))


def receive(stage: Stage, data: Data, items: tuple[MediaItem, ...]) -> Outcome:
    files = list(data.get("files", []))
    known = {f["ref"] for f in files}
    refused = []
    for item in items:
        name = item.file_name or (_("a photo") if item.kind == reports.PHOTO else _("a file"))
        photos = sum(1 for f in files if f["counts_as"] == reports.PHOTO)
        counts_as = reports.evidence_kind(stage, item.kind, item.mime_type, photos, len(files) - photos)
        problem = reports.evidence_problem(item.kind, item.mime_type, item.size) or reports.stage_problem(
            stage, counts_as
        )
        if problem:
            refused.append(_refusal(problem, name))
            continue
        if item.ref in known:
            continue  # the same file twice counts once
        if len(files) >= reports.MAX_FILES:
            refused.append(
                _(
                    "{name} was not added: {maximum} files is the most one report can hold.",
                    name=name,
                    maximum=reports.MAX_FILES,
                )
            )
            continue
        known.add(item.ref)
        files.append(
            {
                "ref": item.ref,
                "kind": item.kind,
                "counts_as": counts_as,
                "mime": item.mime_type,
                "size": item.size,
                "name": item.file_name,
            }
        )
    if len(files) == len(data.get("files", [])):
        # Nothing new was kept: answer like any refused input, the question is asked again.
        return Stay("\n".join(refused) or _("You already sent this file."))
    data["files"] = files
    return Goto("media", (Reply("\n".join(refused)),) if refused else ())


def _refusal(problem: str, name: str) -> str:
    if problem == "file_too_large":
        limit = reports.MAX_FILE_BYTES // (1024 * 1024)
        return _("{name} is larger than {limit} MB. Please send a smaller file.", name=name, limit=limit)
    if problem == "file_empty":
        return problem_text("empty", name)
    if problem == "not_an_image":
        return _("{name} is not a photo. Please send a photo.", name=name)
    if problem == "stage_takes_photos":
        return _("{name} was not added: this stage needs photos, not documents. Please send photos.", name=name)
    if problem == "not_pdf_or_image":
        return _("{name} cannot be used. Documents must be PDF files or photos.", name=name)
    return _("{name} cannot be used as evidence.", name=name)
