"""Every conversation flow, by the command that starts it. Each module exports `FLOW`."""

import importlib

from handlers.flow import Flow

FLOW_MODULES = (
    "kk",
    "jadwal",
    "lapor",
    "undang_bendahara",
    "dana",
    "belanja",
    "saldo",
    "rt_status",
    "tinjau",
    "siaran",
    "kk_approval",
    "nama",
    "hubungi",
    "laporan",
    "masuk",
    "contoh",
)


def all_flows() -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    for name in FLOW_MODULES:
        module = importlib.import_module(f"handlers.flows.{name}")
        flows[module.FLOW.name] = module.FLOW
    return flows
