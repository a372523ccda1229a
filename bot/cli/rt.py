"""`kampung-bahagia rt show CODE [--json]`"""

import dataclasses
import json

import typer
from rich.table import Table

from bot.bootstrap import App
from bot.cli.common import console, run_with_app
from handlers.formatting import rupiah
from handlers.i18n import _
from services import rts

app = typer.Typer(help=_("RTs."), no_args_is_help=True)


@app.command("show", help=_("One RT: kelompok, KK, budget tier, allocation, pendamping, KK history."))
def show(kode: str, as_json: bool = typer.Option(False, "--json", help=_("One JSON object."))) -> None:

    async def work(app_: App) -> dict:
        async with app_.db.unit_of_work() as session:
            rt = await rts.get_rt(session, kode)
            summary = dataclasses.asdict(await rts.rt_summary(session, app_.program, rt))
            summary["kk_history"] = [
                {"old": h.old, "new": h.new, "source": h.source, "at": h.changed_at.isoformat()}
                for h in await rts.kk_history(session, rt)
            ]
            return summary

    data = run_with_app(work)
    if as_json:
        console.print_json(json.dumps(data))
        return
    table = Table(show_header=False, title=f"RT {data['kode']}")
    rows = [
        (_("Kelurahan"), f"{data['kelurahan']}, {data['kecamatan']}"),
        (_("Kelompok"), data["kelompok"]),
        (_("KK"), str(data["jumlah_kk"]) if data["jumlah_kk"] else _("not registered")),
        (_("Tier"), data["tier"] or "-"),
        (_("Allocation"), rupiah(data["alokasi"]) if data["alokasi"] else "-"),
        (_("Pilot 2025"), _("yes") if data["pilot_2025"] else _("no")),
        (_("Pendamping"), data["pendamping"] or "-"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)
