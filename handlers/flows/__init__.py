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
)


def all_flows() -> dict[str, Flow]:
    flows: dict[str, Flow] = {}
    for name in FLOW_MODULES:
        try:
            module = importlib.import_module(f"handlers.flows.{name}")
        except ModuleNotFoundError as error:
            # TEMPORARY while the flows are being written in parallel; made strict once all exist.
            if error.name == f"handlers.flows.{name}":
                continue
            raise
        flows[module.FLOW.name] = module.FLOW
    return flows
