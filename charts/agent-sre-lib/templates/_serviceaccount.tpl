{{- /* agent-sre-lib.serviceAccount: the pod identity; no API token mounted unless serviceAccount.automountToken. */ -}}
{{- define "agent-sre-lib.serviceAccount" -}}
{{- $c := dict -}}
{{- include "agent-sre-lib.config" (list . $c) -}}
{{- $v := $c.v -}}
{{- if $v.serviceAccount.create -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $v.serviceAccountName }}
  labels:
    {{- toYaml $v.labels | nindent 4 }}
  {{- with $v.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ $v.serviceAccount.automountToken }}
{{- end -}}
{{- end -}}
