"""Unit tests of checks.py (run by scripts/charts-check: python3 -m unittest)."""

import os
import tempfile
import unittest

from checks import check_tests, metric_names, read_exported


class MetricNames(unittest.TestCase):
    def test_selector_with_labels_and_range(self):
        expr = 'sum(rate(http_requests_total{route!~"/a|/b",le="0.5"}[5m]))'
        self.assertEqual(metric_names(expr), {"http_requests_total"})

    def test_grouping_labels_and_functions_are_not_metrics(self):
        expr = "histogram_quantile(0.99, sum by (le, route) (rate(req_seconds_bucket[$__rate_interval])))"
        self.assertEqual(metric_names(expr), {"req_seconds_bucket"})

    def test_binary_operators_keywords_and_offsets(self):
        expr = "a_total / on (job) group_left (team) b_info > bool 3 unless c offset 1h30m and d @ 1609746000"
        self.assertEqual(metric_names(expr), {"a_total", "b_info", "c", "d"})

    def test_recording_rule_names_with_colons(self):
        expr = 'slo:sli_error:ratio_rate1h{k_service="x"} > (14.4 * (1 - 99.9 / 100))'
        self.assertEqual(metric_names(expr), {"slo:sli_error:ratio_rate1h"})

    def test_strings_with_braces_and_grafana_variables(self):
        expr = 'label_replace(up{job="${job}"}, "dst", "$1", "src", "(.*){x}")'
        self.assertEqual(metric_names(expr), {"up"})


class Exported(unittest.TestCase):
    def test_histogram_series_names(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("# comment\nreq_seconds histogram\nup_total counter\n")
        self.addCleanup(os.unlink, f.name)
        self.assertEqual(
            read_exported(f.name),
            {"req_seconds", "req_seconds_bucket", "req_seconds_sum", "req_seconds_count", "up_total"},
        )

    def test_rejects_lines_without_a_type(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("req_seconds\n")
        self.addCleanup(os.unlink, f.name)
        with self.assertRaises(ValueError):
            read_exported(f.name)


class Tests(unittest.TestCase):
    def test_an_alert_needs_a_firing_and_a_quiet_case(self):
        chart = tempfile.mkdtemp()
        os.mkdir(os.path.join(chart, "tests"))
        with open(os.path.join(chart, "tests", "a.rules-test.yaml"), "w") as f:
            f.write(
                "rule_files: [rules.yaml]\ntests:\n  - alert_rule_test:\n"
                "      - { alertname: A, eval_time: 1m, exp_alerts: [ { exp_labels: {} } ] }\n"
            )
        groups = [{"name": "g", "rules": [{"alert": "A", "expr": "x"}, {"alert": "B", "expr": "y"}]}]
        errors, _, alerts = check_tests(groups, chart)
        self.assertEqual(alerts, ["A", "B"])
        self.assertEqual(
            errors,
            [
                "alert A: no promtool test case where it stays quiet (exp_alerts: [])",
                "alert B: no promtool test case where it fires (tests/*.rules-test.yaml)",
                "alert B: no promtool test case where it stays quiet (exp_alerts: [])",
            ],
        )


if __name__ == "__main__":
    unittest.main()
