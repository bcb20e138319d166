{{- /*
agent-sre-lib.all: every resource of a service chart, separated by "---". A service chart whose
needs are covered by the library has one template: {{ include "agent-sre-lib.all" . }}
*/ -}}
{{- define "agent-sre-lib.all" -}}
{{- range $template := list "serviceAccount" "knativeService" "triggers" "networkPolicy" "prometheusRule" "dashboard" }}
{{- $doc := include (printf "agent-sre-lib.%s" $template) $ | trim }}
{{- if $doc }}
{{- if not (hasPrefix "---" $doc) }}
---
{{- end }}
{{ $doc }}
{{- end }}
{{- end }}
{{- end -}}
