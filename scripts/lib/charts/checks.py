#!/usr/bin/env python3
"""Checks a service chart's rendered manifests beyond schema validation:

- every alert has summary, description and runbook_url = <base>/<alert>.md, and that runbook exists;
- every PromQL expression (rules and dashboard panels) only reads metrics the service exports
  (charts/<svc>/exported-metrics.txt) or that the chart's own rules record;
- every Grafana dashboard ConfigMap (label grafana_dashboard: "1") holds valid dashboard JSON;
- every alert has promtool unit tests in charts/<svc>/tests/*.rules-test.yaml proving it fires
  and proving it stays quiet.
It writes the PrometheusRule groups to RULES_OUT, the rule file those tests name.

Usage: checks.py RENDERED_YAML CHART_DIR RUNBOOKS_DIR RULES_OUT
"""

import glob
import json
import os
import re
import sys

import yaml

RULES_FILE = "rules.yaml"
KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "inf", "nan",
}
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}
TOKEN = re.compile(
    r"(?P<num>(?:\d+(?:ms|s|m|h|d|w|y))+\b|0x[0-9a-fA-F]+|\d*\.?\d+(?:[eE][+-]?\d+)?)"
    r"|(?P<var>\$\{?\w+\}?)"
    r"|(?P<id>[A-Za-z_:][A-Za-z0-9_:]*)(?P<call>\s*\()?"
)


def metric_names(expr):
    """The metric names a PromQL expression selects (by bare name; {__name__=...} is not read)."""
    text = re.sub(r"#[^\n]*", "", expr)
    text = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"\[[^\[\]]*\]", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", text)
    names = set()
    for match in TOKEN.finditer(text):
        name = match.group("id")
        if name and not match.group("call") and name.lower() not in KEYWORDS:
            names.add(name)
    return names


def read_exported(path):
    """exported-metrics.txt: "<name> <type>" per line (# comments); returns every series name."""
    names = set()
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 2 or parts[1] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                raise ValueError(f"{path}:{number}: expected '<name> <counter|gauge|histogram|summary|untyped>'")
            names.add(parts[0])
            names.update(parts[0] + suffix for suffix in SUFFIXES.get(parts[1], ()))
    return names


def rule_groups(manifests):
    return [g for m in manifests if m.get("kind") == "PrometheusRule" for g in m["spec"].get("groups", [])]


def check_alerts(groups, runbooks_dir):
    errors = []
    for group in groups:
        for rule in group.get("rules", []):
            if "alert" not in rule:
                continue
            alert = rule["alert"]
            annotations = rule.get("annotations", {})
            for key in ("summary", "description", "runbook_url"):
                if not annotations.get(key):
                    errors.append(f"alert {alert}: annotation {key} is missing")
            url = annotations.get("runbook_url", "")
            if url and not url.endswith(f"/{alert}.md"):
                errors.append(f"alert {alert}: runbook_url {url} does not end with /{alert}.md")
            if not os.path.isfile(os.path.join(runbooks_dir, f"{alert}.md")):
                errors.append(f"alert {alert}: runbook {os.path.join(runbooks_dir, alert + '.md')} does not exist")
    return errors


def check_queries(groups, dashboards, exported):
    recorded = {r["record"] for g in groups for r in g.get("rules", []) if "record" in r}
    known = exported | recorded
    errors = []
    queries = [(f"rule {r.get('alert') or r.get('record')}", str(r["expr"])) for g in groups for r in g["rules"]]
    for name, dashboard in dashboards:
        for panel in dashboard.get("panels", []):
            for target in panel.get("targets", []):
                queries.append((f"dashboard {name} panel '{panel.get('title')}'", target.get("expr", "")))
    for where, expr in queries:
        for metric in sorted(metric_names(expr) - known):
            errors.append(f"{where}: queries {metric}, which the service does not export (exported-metrics.txt)")
    return errors


def load_dashboards(manifests):
    dashboards, errors = [], []
    for m in manifests:
        if m.get("kind") != "ConfigMap" or m.get("metadata", {}).get("labels", {}).get("grafana_dashboard") != "1":
            continue
        for key, text in (m.get("data") or {}).items():
            where = f"{m['metadata']['name']}/{key}"
            try:
                dashboard = json.loads(text)
            except json.JSONDecodeError as err:
                errors.append(f"dashboard {where}: invalid JSON: {err}")
                continue
            if not isinstance(dashboard, dict) or not dashboard.get("title") or not isinstance(dashboard.get("panels"), list):
                errors.append(f"dashboard {where}: not a Grafana dashboard (needs title and panels)")
                continue
            dashboards.append((where, dashboard))
    return dashboards, errors


def check_tests(groups, chart_dir):
    """Each alert needs a test case where it fires and one where it stays quiet."""
    fires, quiet, errors = set(), set(), []
    files = sorted(glob.glob(os.path.join(chart_dir, "tests", "*.rules-test.yaml")))
    for path in files:
        try:
            with open(path) as f:
                test = yaml.safe_load(f) or {}
        except yaml.YAMLError as err:
            errors.append(f"{path}: invalid YAML: {err}")
            continue
        if test.get("rule_files") != [RULES_FILE]:
            errors.append(f"{path}: rule_files must be [{RULES_FILE}] (the rules extracted from the chart)")
        for case in test.get("tests", []):
            for alert_test in case.get("alert_rule_test", []):
                (fires if alert_test.get("exp_alerts") else quiet).add(alert_test["alertname"])
    alerts = sorted({r["alert"] for g in groups for r in g.get("rules", []) if "alert" in r})
    for alert in alerts:
        if alert not in fires:
            errors.append(f"alert {alert}: no promtool test case where it fires (tests/*.rules-test.yaml)")
        if alert not in quiet:
            errors.append(f"alert {alert}: no promtool test case where it stays quiet (exp_alerts: [])")
    return errors, files, alerts


def main(rendered, chart_dir, runbooks_dir, rules_out):
    with open(rendered) as f:
        manifests = [m for m in yaml.safe_load_all(f) if m]
    groups = rule_groups(manifests)
    dashboards, errors = load_dashboards(manifests)
    exported_path = os.path.join(chart_dir, "exported-metrics.txt")
    if groups or dashboards:
        if not os.path.isfile(exported_path):
            errors.append(f"{exported_path} is missing (the metrics the service exports; see charts/README.md)")
        else:
            errors += check_queries(groups, dashboards, read_exported(exported_path))
    errors += check_alerts(groups, runbooks_dir)
    test_errors, test_files, alerts = check_tests(groups, chart_dir)
    errors += test_errors
    with open(rules_out, "w") as f:
        yaml.safe_dump({"groups": groups}, f, sort_keys=False, width=1000)
    print(f"checks: {len(groups)} rule groups, {len(alerts)} alerts, {len(dashboards)} dashboards, {len(test_files)} test files")
    for error in errors:
        print(f"  ERROR {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))
