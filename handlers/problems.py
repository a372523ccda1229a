"""Problems (services/problems.py) in the person's language. Every problem code has its sentence here."""

from datetime import date

from handlers.formatting import tanggal
from handlers.i18n import _
from handlers.menu import role_name
from services.models import Role
from services.problems import Problem


def _messages() -> dict[str, str]:
    # Built on each call so `_()` runs under the caller's language.
    return {
        "kk_out_of_range": _("{jumlah_kk} KK is not covered by any budget tier."),
        "kk_not_positive": _("The number of KK must be at least 1."),
        "kk_too_large": _("{value} KK is more than the maximum of {maksimum} for one RT."),
        "rt_not_found": _("RT {kode} is not in the roster."),
        "invite_needs_rt": _("An invitation for {role} needs an RT (--rt CODE)."),
        "invite_not_found": _("Invitation {id} does not exist."),
        "invite_not_active": _("Invitation {id} cannot be revoked: it is {state}."),
        "invite_unknown": _("This invitation code is not known. Check the letters and numbers and try again."),
        "invite_used": _("This invitation code has already been used. Ask your pendamping for a new one."),
        "invite_revoked": _("This invitation code was cancelled. Ask your pendamping for a new one."),
        "invite_expired": _("This invitation code has expired. Ask your pendamping for a new one."),
        "invite_just_used": _(
            "This invitation code was just used to register from another account; a code works only once. "
            "If that was not you, please contact the pendamping."
        ),
        "seat_taken": _(
            "RT {rt} already has an active {role}: {nama} (person {person_id}), since {sejak}. A code for this seat "
            "cannot be used while they hold it. To invite their replacement, add --ganti: when the new person "
            "registers with that code, {nama} loses access and is told so."
        ),
        "pesan_empty": _("The message is empty. Please type what you want to say."),
        "pesan_too_long": _(
            "The message is too long ({length} characters). Please shorten it to at most {maximum} characters."
        ),
        "pesan_not_found": _("That message no longer exists."),
        "pesan_not_yours": _("That message was not sent to you, so you cannot answer it."),
        "roster_bad_format": _("The roster must be a .csv or .xlsx file, not {suffix}."),
        "roster_unreadable": _(
            "The {suffix} file cannot be read. Save it again from the spreadsheet program (CSV as UTF-8) and retry."
        ),
        "roster_empty": _("The roster file has no RT rows."),
        "roster_missing_columns": _("The roster header lacks the column(s): {columns}."),
        "roster_unknown_kelurahan": _("kode_kelurahan {value!r} is not a kelurahan of Kota Jambi."),
        "roster_bad_rt": _("rt {value!r} must be a whole number from 1 to 999."),
        "roster_bad_kelompok": _("kelompok {value!r} must be A or B."),
        "roster_bad_kk": _("jumlah_kk {value!r} must be a whole number from 1 to {maksimum}, or empty."),
        "roster_bad_pilot": _("pilot_2025 {value!r} must be ya or tidak (or empty)."),
        "roster_duplicate_rt": _("RT {kode} appears again (first on row {first_line})."),
        "program_unreadable": _("The program file {path} cannot be read: {error}"),
        "program_not_toml": _("The program file {path} is not valid TOML: {error}"),
        "program_bad_integer": _("must be a whole number of at least {minimum} (found {value!r})."),
        "program_bad_document_names": _('must be a list of document names, like ["SK Pokja"] (found {value!r}).'),
        "program_missing_text": _("must be a non-empty text (found {value!r})."),
        "program_bad_month": _("{value!r} is not a month written as YYYY-MM."),
        "program_kk_bounds": _("batas_wajar ({batas_wajar}) is above maksimum ({maksimum})."),
        "program_no_tiers": _("there are no budget tiers ([[tier]])."),
        "program_tier_inverted": _("max_kk {max_kk} is below min_kk {min_kk}."),
        "program_tier_gap": _("no budget tier covers {start}–{end} KK."),
        "program_tier_overlap": _("budget tiers {first} and {second} overlap."),
        "program_tier_open_end": _("the highest tier must have no max_kk (it ends at {max_kk})."),
        "program_missing_kelompok": _("Kelompok {kelompok} has no window."),
        "program_window_inverted": _("Kelompok {kelompok} ends before it starts."),
        "program_no_stages": _("there are no stages ([[tahap]])."),
        "program_duplicate_stage": _("stage {kode} is defined twice."),
        "program_bad_stage_kode": _(
            "stage code {kode!r} must be at most 32 characters of lowercase letters, digits and _."
        ),
        "program_bad_role": _("{value!r} must be ketua_rt or bendahara."),
        "program_unknown_prerequisite": _("{kode} is not an earlier stage."),
        "program_missing_months": _("the month(s) of the stage are missing."),
        "program_stage_outside_window": _(
            "stage {stage} is placed in {month}, outside Kelompok {kelompok}'s window {mulai} to {selesai}."
        ),
        "program_bad_field_kind": _("{value!r} is not a question kind (bilangan, teks, rupiah, pilihan)."),
        "program_bad_slot": _("a reminder slot needs hari (1–28) and jam (HH:MM), found {value!r}."),
        "program_bad_bidang": _("[bidang] must list the fields of activity."),
        "wa_templates_unreadable": _("The WhatsApp templates file {path} cannot be read: {error}"),
        "wa_templates_not_toml": _("The WhatsApp templates file {path} is not valid TOML: {error}"),
        "wa_no_templates": _("there are no templates ([[template]] tables)."),
        "wa_unknown_purpose": _("{value!r} is not a purpose the bot sends templates for ({known})."),
        "wa_missing_purpose": _("no template for the purpose {purpose}."),
        "wa_duplicate": _("the {what} {value!r} is used twice."),
        "wa_bad_name": _("{value!r} is not a template name Meta accepts (lower case letters, digits and _)."),
        "wa_bad_language": _("{value!r} is not a language code such as id or en_US."),
        "wa_bad_category": _("{value!r} is not an allowed category ({known})."),
        "wa_body_too_long": _("the body is {length} characters; Meta takes at most {maximum}."),
        "wa_parameter_gap": _("parameters must be numbered {{{{1}}}}, {{{{2}}}}, … without a gap (found: {found})."),
        "wa_parameter_count": _("the body has {body} parameters but {listed} [[template.parameter]] entries."),
        "wa_parameter_at_edge": _("the body must not start or end with a parameter (Meta refuses it)."),
        "wa_example_line_break": _("an example must be one line: a parameter cannot hold a line break."),
        "wa_button_title_too_long": _("the button title {title!r} has {length} characters; at most {maximum}."),
        "wa_too_many_buttons": _("{count} buttons; at most {maximum} quick replies."),
        "wa_bad_opens": _("{value!r} is not a command a button can open (like lapor, without the slash)."),
    }


def invitation_state_name(state: str) -> str:
    """services.invitations.invitation_state in words: active | used | revoked | expired."""
    return {
        "active": _("not used yet"),
        "used": _("used"),
        "revoked": _("revoked"),
        "expired": _("expired"),
    }.get(state, state)


def describe(problem: Problem) -> str:
    template = _messages().get(problem.code)
    if template is None:
        return problem.code
    # Services give dates as dates; they are shown as people read them ("3 Februari 2026").
    params = {k: tanggal(v) if isinstance(v, date) else v for k, v in problem.params.items()}
    if params.get("role") in {r.value for r in Role}:
        params["role"] = role_name(params["role"])  # as people say it ("Ketua RT"), never the code "ketua_rt"
    if problem.code == "invite_not_active":
        params["state"] = invitation_state_name(params["state"])
    return template.format(**params)


def describe_row(problem: Problem) -> str:
    """One roster problem as `baris N: ...`; one program-file problem as `tahap[3].bulan.A: ...`."""
    text = describe(problem)
    if problem.where is None:
        return text
    if problem.where.isdigit():
        return _("row {line}: {problem}", line=problem.where, problem=text)
    return f"{problem.where}: {text}"
