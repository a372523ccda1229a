"""Every conversation flow, by the command that starts it."""

from handlers.flow import Flow


def all_flows() -> dict[str, Flow]:
    flows: list[Flow] = []
    return {flow.name: flow for flow in flows}
