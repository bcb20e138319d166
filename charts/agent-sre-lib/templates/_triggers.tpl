{{- /*
agent-sre-lib.triggers: one Knative Trigger per entry of .Values.triggers, in the format fixed by
docs/CONTRACTS.md ("Charts: trigger values"), which the local broker reads too.
*/ -}}
{{- define "agent-sre-lib.triggers" -}}
{{- $c := dict -}}
{{- include "agent-sre-lib.config" (list . $c) -}}
{{- $v := $c.v -}}
{{- $seen := dict -}}
{{- range $i, $t := $v.triggers }}
{{- $name := get $t "name" | toString -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "agent-sre-lib: triggers[%d].name %q must be a DNS-1123 label" $i $name) -}}
{{- end -}}
{{- if hasKey $seen $name -}}
{{- fail (printf "agent-sre-lib: trigger name %q is used twice" $name) -}}
{{- end -}}
{{- $_ := set $seen $name true -}}
{{- $where := printf "triggers[%d] (%s)" $i $name -}}
{{- $filter := get $t "filter" -}}
{{- $filters := get $t "filters" -}}
{{- $subscriber := get $t "subscriber" | default dict -}}
{{- $delivery := get $t "delivery" -}}
{{- $order := get $t "deliveryOrder" -}}
{{- if and $order (not (has $order (list "ordered" "unordered"))) -}}
{{- fail (printf "agent-sre-lib: %s.deliveryOrder must be ordered or unordered, got %q" $where (toString $order)) -}}
{{- end }}
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: {{ $name }}
  labels:
    {{- toYaml $v.labels | nindent 4 }}
  {{- if $order }}
  annotations:
    kafka.eventing.knative.dev/delivery.order: {{ $order }}
  {{- end }}
spec:
  broker: {{ get $t "broker" | default "default" }}
  {{- if $filter }}
  {{- include "agent-sre-lib.validateAttributes" (list (printf "%s.filter.attributes" $where) (get $filter "attributes") true) }}
  filter:
    attributes:
      {{- range $key, $value := $filter.attributes }}
      {{ $key }}: {{ toString $value | quote }}
      {{- end }}
  {{- end }}
  {{- if $filters }}
  {{- range $j, $f := $filters }}
  {{- include "agent-sre-lib.validateFilter" (list (printf "%s.filters[%d]" $where $j) $f) }}
  {{- end }}
  filters:
    {{- toYaml $filters | nindent 4 }}
  {{- end }}
  subscriber:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: {{ $v.name }}
    uri: {{ get $subscriber "path" | default "/" | quote }}
  {{- with $delivery }}
  delivery:
    {{- include "agent-sre-lib.delivery" (list $where .) | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}

{{- /* agent-sre-lib.delivery: the Knative delivery spec; deadLetterSink is a uri or a ref to a Knative Service. */ -}}
{{- define "agent-sre-lib.delivery" -}}
{{- $where := index . 0 -}}
{{- $d := index . 1 -}}
{{- $unknown := without (keys $d) "retry" "backoffPolicy" "backoffDelay" "timeout" "deadLetterSink" -}}
{{- if $unknown -}}
{{- fail (printf "agent-sre-lib: %s.delivery has unknown keys %v" $where (sortAlpha $unknown)) -}}
{{- end -}}
{{- $iso := "^P(\\d+D)?(T(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$" -}}
{{- range $key := list "backoffDelay" "timeout" -}}
{{- $value := get $d $key -}}
{{- if and $value (or (not (regexMatch $iso (toString $value))) (has (toString $value) (list "P" "PT"))) -}}
{{- fail (printf "agent-sre-lib: %s.delivery.%s must be an ISO-8601 duration such as PT0.2S, got %q" $where $key (toString $value)) -}}
{{- end -}}
{{- end -}}
{{- $policy := get $d "backoffPolicy" -}}
{{- if and $policy (not (has $policy (list "linear" "exponential"))) -}}
{{- fail (printf "agent-sre-lib: %s.delivery.backoffPolicy must be linear or exponential, got %q" $where (toString $policy)) -}}
{{- end -}}
{{- if hasKey $d "retry" }}
retry: {{ int (get $d "retry") }}
{{- end }}
{{- with $policy }}
backoffPolicy: {{ . }}
{{- end }}
{{- with get $d "backoffDelay" }}
backoffDelay: {{ . | quote }}
{{- end }}
{{- with get $d "timeout" }}
timeout: {{ . | quote }}
{{- end }}
{{- with get $d "deadLetterSink" }}
deadLetterSink:
  {{- if hasKey . "uri" }}
  uri: {{ .uri | quote }}
  {{- else if hasKey . "ref" }}
  {{- $ref := .ref }}
  {{- if not (get $ref "service") }}
  {{- fail (printf "agent-sre-lib: %s.delivery.deadLetterSink.ref needs service" $where) }}
  {{- end }}
  ref:
    apiVersion: serving.knative.dev/v1
    kind: Service
    name: {{ $ref.service }}
  uri: {{ get $ref "path" | default "/" | quote }}
  {{- else }}
  {{- fail (printf "agent-sre-lib: %s.delivery.deadLetterSink needs uri or ref" $where) }}
  {{- end }}
{{- end }}
{{- end -}}

{{- /*
agent-sre-lib.validateFilter: a filters entry has exactly one dialect: exact, prefix, suffix (a map
of attribute to non-empty string), all, any (a non-empty list of filters) or not (one filter).
CESQL is not accepted: the local broker does not implement it.
*/ -}}
{{- define "agent-sre-lib.validateFilter" -}}
{{- $where := index . 0 -}}
{{- $f := index . 1 -}}
{{- if not (kindIs "map" $f) -}}
{{- fail (printf "agent-sre-lib: %s must be a map with one dialect (exact, prefix, suffix, all, any, not)" $where) -}}
{{- end -}}
{{- $dialects := keys $f | sortAlpha -}}
{{- if ne (len $dialects) 1 -}}
{{- fail (printf "agent-sre-lib: %s must have exactly one dialect, got %v" $where $dialects) -}}
{{- end -}}
{{- $dialect := first $dialects -}}
{{- $body := get $f $dialect -}}
{{- if has $dialect (list "exact" "prefix" "suffix") -}}
{{- include "agent-sre-lib.validateAttributes" (list (printf "%s.%s" $where $dialect) $body false) -}}
{{- else if has $dialect (list "all" "any") -}}
{{- if or (not (kindIs "slice" $body)) (not $body) -}}
{{- fail (printf "agent-sre-lib: %s.%s must be a non-empty list of filters" $where $dialect) -}}
{{- end -}}
{{- range $k, $nested := $body -}}
{{- include "agent-sre-lib.validateFilter" (list (printf "%s.%s[%d]" $where $dialect $k) $nested) -}}
{{- end -}}
{{- else if eq $dialect "not" -}}
{{- include "agent-sre-lib.validateFilter" (list (printf "%s.not" $where) $body) -}}
{{- else -}}
{{- fail (printf "agent-sre-lib: %s uses dialect %q; supported: exact, prefix, suffix, all, any, not" $where $dialect) -}}
{{- end -}}
{{- end -}}

{{- /* agent-sre-lib.validateAttributes: a non-empty map of CloudEvent attribute name to string (empty allowed only in the legacy filter, where it means "present"). */ -}}
{{- define "agent-sre-lib.validateAttributes" -}}
{{- $where := index . 0 -}}
{{- $attrs := index . 1 -}}
{{- $allowEmpty := index . 2 -}}
{{- if or (not (kindIs "map" $attrs)) (not $attrs) -}}
{{- fail (printf "agent-sre-lib: %s must be a non-empty map of CloudEvent attribute to value" $where) -}}
{{- end -}}
{{- range $key, $value := $attrs -}}
{{- if not (regexMatch "^[a-z0-9]{1,20}$" $key) -}}
{{- fail (printf "agent-sre-lib: %s: %q is not a CloudEvent attribute name (lower-case letters and digits)" $where $key) -}}
{{- end -}}
{{- if not (kindIs "string" $value) -}}
{{- fail (printf "agent-sre-lib: %s.%s must be a string" $where $key) -}}
{{- end -}}
{{- if and (eq $value "") (not $allowEmpty) -}}
{{- fail (printf "agent-sre-lib: %s.%s must not be empty" $where $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
