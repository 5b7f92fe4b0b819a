"""packaging/grafana/mprelay.json is a dashboard Grafana loads as is, and every metric its panels
query is one the relay's /metrics really exposes."""

import json
import os
import re

from conftest import REPO

DASHBOARD = os.path.join(REPO, "packaging", "grafana", "mprelay.json")


def load():
    with open(DASHBOARD) as f:
        return json.load(f)


def test_the_dashboard_has_a_prometheus_datasource_variable_and_panels():
    dashboard = load()
    assert dashboard["title"] == "mprelay" and dashboard["uid"] and isinstance(dashboard["schemaVersion"], int)
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)) >= 10
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]


def test_every_queried_metric_is_exposed(http_relay):
    relay = http_relay()
    exposed = set(re.findall(r"^(mprelay_\w+)", relay.get("/metrics").text, re.M))
    queried = set()
    for panel in load()["panels"]:
        for target in panel["targets"]:
            queried |= set(re.findall(r"\b(mprelay_\w+)", target["expr"]))
    assert queried and queried <= exposed, queried - exposed
    assert {"mprelay_messages_relayed_total", "mprelay_bytes_relayed_total", "mprelay_connections",
            "mprelay_auth_failures_total"} <= queried
