{{- /*
agent-sre-lib.sloWindows: the multi-window, multi-burn-rate table of the Google SRE workbook
(ch. 5): page when 2% of a 30-day budget burns in 1h or 5% in 6h, ticket when 10% burns in 3d
(or at 3x over a day). Each long window is paired with a short one (1/12) so alerts also stop soon
after the burn stops.
*/ -}}
{{- define "agent-sre-lib.sloWindows" -}}
page:
  - { long: 1h, short: 5m, factor: 14.4 }
  - { long: 6h, short: 30m, factor: 6 }
ticket:
  - { long: 1d, short: 2h, factor: 3 }
  - { long: 3d, short: 6h, factor: 1 }
{{- end -}}

{{- /*
agent-sre-lib.sloRules: recording rules slo:sli_error:ratio_rate<window>{service,slo} and the
burn-rate alerts <Kind>ErrorBudgetBurnFast (page) / <Kind>ErrorBudgetBurnSlow (ticket) for each
entry of monitoring.slos. Renders the list of rule groups as YAML.
*/ -}}
{{- define "agent-sre-lib.ruleGroups" -}}
{{- $v := . -}}
{{- $m := $v.monitoring -}}
{{- $windowTable := include "agent-sre-lib.sloWindows" . | fromYaml -}}
{{- $windows := list "5m" "30m" "1h" "2h" "6h" "1d" "3d" -}}
{{- $base := printf "%s=%q" $m.serviceLabel $v.name -}}
{{- with $m.matchers }}{{- $base = printf "%s,%s" $base . -}}{{- end -}}
{{- with $m.excludeRoutes }}{{- $base = printf "%s,route!~%q" $base . -}}{{- end -}}
{{- $runbooks := "" -}}
{{- if or $m.slos $m.alerts -}}{{- $runbooks = include "agent-sre-lib.runbookBaseUrl" $v -}}{{- end -}}
{{- $records := list -}}
{{- $alerts := list -}}
{{- $sloNames := dict -}}
{{- range $i, $slo := $m.slos -}}
{{- $name := get $slo "name" | toString -}}
{{- $kind := get $slo "kind" | toString -}}
{{- $objective := get $slo "objective" -}}
{{- $where := printf "monitoring.slos[%d] (%s)" $i $name -}}
{{- if not (regexMatch "^[a-z][a-z0-9-]*$" $name) -}}
{{- fail (printf "agent-sre-lib: %s.name must be lower-case letters, digits and dashes" $where) -}}
{{- end -}}
{{- if hasKey $sloNames $name -}}
{{- fail (printf "agent-sre-lib: SLO name %q is used twice" $name) -}}
{{- end -}}
{{- $_ := set $sloNames $name true -}}
{{- if not (has $kind (list "availability" "latency")) -}}
{{- fail (printf "agent-sre-lib: %s.kind must be availability or latency, got %q" $where $kind) -}}
{{- end -}}
{{- if not (and (regexMatch "^[0-9]+(\\.[0-9]+)?$" (toString $objective)) (ge (float64 $objective) 50.0) (lt (float64 $objective) 100.0)) -}}
{{- fail (printf "agent-sre-lib: %s.objective must be a percentage from 50 to below 100 (e.g. 99.9), got %v" $where $objective) -}}
{{- end -}}
{{- $count := printf "%s_count{%s}" $m.requestMetric $base -}}
{{- $errorsFor := "" -}}
{{- if eq $kind "availability" -}}
{{- $errorsFor = printf "(sum(rate(%s_count{%s,status_class=\"5xx\"}[WINDOW])) or vector(0))\n/\nsum(rate(%s[WINDOW]))" $m.requestMetric $base $count -}}
{{- else -}}
{{- $threshold := get $slo "latencyThreshold" -}}
{{- if not (and (regexMatch "^[0-9]+(\\.[0-9]+)?$" (toString $threshold)) (gt (float64 $threshold) 0.0)) -}}
{{- fail (printf "agent-sre-lib: %s.latencyThreshold (seconds, one of the histogram's buckets) is required for a latency SLO" $where) -}}
{{- end -}}
{{- /* Prometheus 3 normalises integral bucket bounds to "1.0"; older versions keep the client's "1". */ -}}
{{- $le := printf "le=%q" (toString $threshold) -}}
{{- if eq (float64 (int64 $threshold)) (float64 $threshold) -}}{{- $le = printf "le=~\"%v|%v.0\"" $threshold $threshold -}}{{- end -}}
{{- $errorsFor = printf "1 - (\n  sum(rate(%s_bucket{%s,%s}[WINDOW]))\n  /\n  sum(rate(%s[WINDOW]))\n)" $m.requestMetric $base $le $count -}}
{{- end -}}
{{- range $w := $windows -}}
{{- $records = append $records (dict "record" (printf "slo:sli_error:ratio_rate%s" $w) "expr" (replace "[WINDOW]" (printf "[%s]" $w) $errorsFor) "labels" (dict $m.serviceLabel $v.name "slo" $name)) -}}
{{- end -}}
{{- $budget := printf "(1 - %v / 100)" $objective -}}
{{- $sel := printf "{%s=%q,slo=%q}" $m.serviceLabel $v.name $name -}}
{{- range $severity, $pairs := $windowTable -}}
{{- $terms := list -}}
{{- range $pairs -}}
{{- $terms = append $terms (printf "(\n  slo:sli_error:ratio_rate%s%s > (%v * %s)\n  and\n  slo:sli_error:ratio_rate%s%s > (%v * %s)\n)" .long $sel .factor $budget .short $sel .factor $budget) -}}
{{- end -}}
{{- $fast := eq $severity "page" -}}
{{- $first := first $pairs -}}
{{- $second := last $pairs -}}
{{- $alert := printf "%sErrorBudgetBurn%s" (title $kind) (ternary "Fast" "Slow" $fast) -}}
{{- $summary := printf "{{ $labels.%s }}: %s SLO %s is burning its error budget %s" $m.serviceLabel $kind $name (ternary "fast" "slowly" $fast) -}}
{{- $description := printf "The %s SLO %q of {{ $labels.%s }} (objective %v%% over 30 days) has burnt error budget at %vx or more over %s and %s, or %vx or more over %s and %s: at that pace the monthly budget lasts %s. Error ratio over the long window: {{ $value | humanizePercentage }}." $kind $name $m.serviceLabel $objective $first.factor $first.long $first.short $second.factor $second.long $second.short (ternary "about 2 to 5 days" "10 to 30 days" $fast) -}}
{{- $labels := merge (dict "severity" $severity "slo" $name $m.serviceLabel $v.name) (deepCopy $m.alertLabels) -}}
{{- $alerts = append $alerts (dict "alert" $alert "expr" (join "\nor\n" $terms) "labels" $labels "annotations" (dict "summary" $summary "description" $description "runbook_url" (printf "%s/%s.md" $runbooks $alert))) -}}
{{- end -}}
{{- end -}}
{{- range $i, $r := $m.recordingRules -}}
{{- if not (and (get $r "record") (get $r "expr")) -}}
{{- fail (printf "agent-sre-lib: monitoring.recordingRules[%d] needs record and expr" $i) -}}
{{- end -}}
{{- $records = append $records $r -}}
{{- end -}}
{{- $own := list -}}
{{- range $i, $a := $m.alerts -}}
{{- $name := get $a "alert" | toString -}}
{{- $where := printf "monitoring.alerts[%d] (%s)" $i $name -}}
{{- if not (regexMatch "^[A-Z][A-Za-z0-9]*$" $name) -}}
{{- fail (printf "agent-sre-lib: %s.alert must be PascalCase (it names docs/runbooks/<alert>.md)" $where) -}}
{{- end -}}
{{- range $key := list "expr" "summary" "description" -}}
{{- if not (get $a $key) -}}
{{- fail (printf "agent-sre-lib: %s.%s is required" $where $key) -}}
{{- end -}}
{{- end -}}
{{- $severity := get $a "severity" | default "ticket" -}}
{{- if not (has $severity (list "page" "ticket")) -}}
{{- fail (printf "agent-sre-lib: %s.severity must be page or ticket, got %q" $where (toString $severity)) -}}
{{- end -}}
{{- $rule := dict "alert" $name "expr" (get $a "expr") -}}
{{- with get $a "for" }}{{- $_ := set $rule "for" . -}}{{- end -}}
{{- with get $a "keepFiringFor" }}{{- $_ := set $rule "keep_firing_for" . -}}{{- end -}}
{{- $_ := set $rule "labels" (merge (dict "severity" $severity $m.serviceLabel $v.name) (get $a "labels" | default dict) (deepCopy $m.alertLabels)) -}}
{{- $_ := set $rule "annotations" (dict "summary" (get $a "summary") "description" (get $a "description") "runbook_url" (printf "%s/%s.md" $runbooks $name)) -}}
{{- $own = append $own $rule -}}
{{- end -}}
{{- $groups := list -}}
{{- with $records }}{{- $groups = append $groups (dict "name" (printf "%s.recording" $v.name) "rules" .) -}}{{- end -}}
{{- with $alerts }}{{- $groups = append $groups (dict "name" (printf "%s.slo-alerts" $v.name) "rules" .) -}}{{- end -}}
{{- with $own }}{{- $groups = append $groups (dict "name" (printf "%s.alerts" $v.name) "rules" .) -}}{{- end -}}
{{- toYaml $groups -}}
{{- end -}}

{{- /* agent-sre-lib.prometheusRule: the PrometheusRule holding the service's SLO rules and alerts. */ -}}
{{- define "agent-sre-lib.prometheusRule" -}}
{{- $c := dict -}}
{{- include "agent-sre-lib.config" (list . $c) -}}
{{- $v := $c.v -}}
{{- $groups := include "agent-sre-lib.ruleGroups" $v | fromYamlArray -}}
{{- if and $v.monitoring.prometheusRule.enabled $groups -}}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ $v.name }}
  labels:
    {{- toYaml (merge (deepCopy $v.monitoring.prometheusRule.labels) $v.labels) | nindent 4 }}
spec:
  groups:
    {{- toYaml $groups | nindent 4 }}
{{- end -}}
{{- end -}}
