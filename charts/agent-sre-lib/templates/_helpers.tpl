{{- /*
agent-sre-lib.mergeInto: deep-merges (index . 1) into (index . 0) in place. Maps merge key by key;
any other value (list, scalar, false, 0, null) replaces, which sprig's mergeOverwrite does not do
for false/0/"" and is why this exists.
*/ -}}
{{- define "agent-sre-lib.mergeInto" -}}
{{- $dst := index . 0 -}}
{{- $src := index . 1 -}}
{{- range $key, $value := $src -}}
{{- $current := get $dst $key -}}
{{- if and (kindIs "map" $value) (kindIs "map" $current) -}}
{{- include "agent-sre-lib.mergeInto" (list $current $value) -}}
{{- else -}}
{{- $_ := set $dst $key $value -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /*
agent-sre-lib.config: resolves the service's configuration (library defaults merged with the
chart's values) into (index . 1).v, plus derived fields: name, image, labels, selectorLabels.
Usage: {{- $c := dict }}{{- include "agent-sre-lib.config" (list . $c) }}{{- $v := $c.v }}
*/ -}}
{{- define "agent-sre-lib.config" -}}
{{- $root := index . 0 -}}
{{- $out := index . 1 -}}
{{- $v := include "agent-sre-lib.defaults" $root | fromYaml -}}
{{- include "agent-sre-lib.mergeInto" (list $v (deepCopy $root.Values)) -}}
{{- $name := $v.nameOverride | default $root.Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- if not (regexMatch "^[a-z]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "agent-sre-lib: service name %q must be a DNS-1035 label (Knative Service name)" $name) -}}
{{- end -}}
{{- $_ := set $v "name" $name -}}
{{- $repository := $v.image.repository | default (printf "agent-sre/%s" $name) -}}
{{- if $v.global.imageRegistry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" $v.global.imageRegistry) $repository -}}
{{- end -}}
{{- $image := printf "%s:%s" $repository ($v.image.tag | default $root.Chart.AppVersion | default "latest") -}}
{{- if $v.image.digest -}}
{{- $image = printf "%s@%s" $repository $v.image.digest -}}
{{- end -}}
{{- $_ := set $v "imageRef" $image -}}
{{- $selector := dict "app.kubernetes.io/name" $name "app.kubernetes.io/instance" $root.Release.Name -}}
{{- $labels := merge (dict
  "helm.sh/chart" (printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_")
  "app.kubernetes.io/managed-by" $root.Release.Service
  "app.kubernetes.io/part-of" "agent-sre"
  "app.kubernetes.io/version" ($root.Chart.AppVersion | default $root.Chart.Version | toString)
) $selector -}}
{{- $_ := set $v "selectorLabels" $selector -}}
{{- $_ := set $v "labels" $labels -}}
{{- $_ := set $v "serviceAccountName" (ternary ($v.serviceAccount.name | default $name) ($v.serviceAccount.name | default "default") $v.serviceAccount.create) -}}
{{- $_ := set $out "v" $v -}}
{{- end -}}

{{- /* agent-sre-lib.runbookBaseUrl: the base URL every alert's runbook_url starts with. */ -}}
{{- define "agent-sre-lib.runbookBaseUrl" -}}
{{- $v := . -}}
{{- $base := $v.monitoring.runbookBaseUrl | default $v.global.runbookBaseUrl -}}
{{- if not $base -}}
{{- fail "agent-sre-lib: global.runbookBaseUrl (or monitoring.runbookBaseUrl) is required: every alert links to <base>/<alertname>.md" -}}
{{- end -}}
{{- trimSuffix "/" $base -}}
{{- end -}}
