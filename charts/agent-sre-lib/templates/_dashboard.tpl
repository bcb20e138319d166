{{- /*
agent-sre-lib.dashboard: a ConfigMap holding the service's Grafana dashboard, picked up by the
Grafana sidecar through the label grafana_dashboard: "1". Panels: RED (rate, errors, duration)
from the service-kit request histogram, one burn-rate panel per SLO, then dashboard.panels.
*/ -}}
{{- define "agent-sre-lib.dashboard" -}}
{{- $c := dict -}}
{{- include "agent-sre-lib.config" (list . $c) -}}
{{- $v := $c.v -}}
{{- if $v.dashboard.enabled -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ printf "%s-dashboard" $v.name }}
  labels:
    {{- toYaml (merge (dict "grafana_dashboard" "1") (deepCopy $v.dashboard.labels) $v.labels) | nindent 4 }}
data:
  {{ $v.name }}.json: |-
    {{- include "agent-sre-lib.dashboardJson" $v | nindent 4 }}
{{- end -}}
{{- end -}}

{{- define "agent-sre-lib.dashboardJson" -}}
{{- $v := . -}}
{{- $m := $v.monitoring -}}
{{- $sel := printf "%s=%q" $m.serviceLabel $v.name -}}
{{- with $m.excludeRoutes }}{{- $sel = printf "%s,route!~%q" $sel . -}}{{- end -}}
{{- $count := printf "%s_count{%s}" $m.requestMetric $sel -}}
{{- $red := list
  (dict "title" "Requests per second by route" "unit" "reqps" "targets" (list
    (dict "expr" (printf "sum by (route) (rate(%s[$__rate_interval]))" $count) "legendFormat" "{{route}}")))
  (dict "title" "Responses by status class" "unit" "reqps" "targets" (list
    (dict "expr" (printf "sum by (status_class) (rate(%s[$__rate_interval]))" $count) "legendFormat" "{{status_class}}")))
  (dict "title" "Error ratio (5xx)" "unit" "percentunit" "targets" (list
    (dict "expr" (printf "sum(rate(%s_count{%s,status_class=\"5xx\"}[$__rate_interval])) / sum(rate(%s[$__rate_interval]))" $m.requestMetric $sel $count) "legendFormat" "5xx ratio")))
  (dict "title" "Duration p50 / p95 / p99" "unit" "s" "targets" (list
    (dict "expr" (printf "histogram_quantile(0.5, sum by (le) (rate(%s_bucket{%s}[$__rate_interval])))" $m.requestMetric $sel) "legendFormat" "p50")
    (dict "expr" (printf "histogram_quantile(0.95, sum by (le) (rate(%s_bucket{%s}[$__rate_interval])))" $m.requestMetric $sel) "legendFormat" "p95")
    (dict "expr" (printf "histogram_quantile(0.99, sum by (le) (rate(%s_bucket{%s}[$__rate_interval])))" $m.requestMetric $sel) "legendFormat" "p99")))
-}}
{{- range $m.slos -}}
{{- $burn := printf "slo:sli_error:ratio_rate%%s{%s=%q,slo=%q} / (1 - %v / 100)" $m.serviceLabel $v.name .name .objective -}}
{{- $red = append $red (dict "title" (printf "SLO %s (%v%% %s): burn rate" .name .objective .kind) "unit" "none" "targets" (list
    (dict "expr" (printf $burn "1h") "legendFormat" "1h")
    (dict "expr" (printf $burn "6h") "legendFormat" "6h")
    (dict "expr" (printf $burn "3d") "legendFormat" "3d"))) -}}
{{- end -}}
{{- $panels := list -}}
{{- range $i, $p := concat $red $v.dashboard.panels -}}
{{- if not (and (get $p "title") (get $p "targets")) -}}
{{- fail (printf "agent-sre-lib: dashboard panel %d needs title and targets [{expr, legendFormat}]" $i) -}}
{{- end -}}
{{- $targets := list -}}
{{- range $j, $t := $p.targets -}}
{{- $targets = append $targets (dict "refId" (printf "%c" (add 65 $j)) "expr" $t.expr "legendFormat" (get $t "legendFormat" | default "") "datasource" (dict "type" "prometheus" "uid" "${datasource}")) -}}
{{- end -}}
{{- $panels = append $panels (dict
  "id" (add1 $i)
  "type" (get $p "type" | default "timeseries")
  "title" $p.title
  "datasource" (dict "type" "prometheus" "uid" "${datasource}")
  "gridPos" (dict "h" 8 "w" 12 "x" (mul (mod $i 2) 12) "y" (mul (div $i 2) 8))
  "fieldConfig" (dict "defaults" (dict "unit" (get $p "unit" | default "short")) "overrides" list)
  "options" (dict "legend" (dict "displayMode" "list" "placement" "bottom" "showLegend" true) "tooltip" (dict "mode" "multi" "sort" "none"))
  "targets" $targets) -}}
{{- end -}}
{{- toPrettyJson (dict
  "uid" (printf "agent-sre-%s" $v.name | trunc 40)
  "title" (printf "agent-sre / %s" $v.name)
  "tags" (list "agent-sre" $v.name)
  "timezone" "browser"
  "editable" false
  "schemaVersion" 39
  "version" 1
  "refresh" "30s"
  "time" (dict "from" "now-6h" "to" "now")
  "templating" (dict "list" (list (dict "name" "datasource" "label" "Prometheus" "type" "datasource" "query" "prometheus" "current" dict "hide" 0)))
  "annotations" (dict "list" list)
  "panels" $panels) -}}
{{- end -}}
