{{- /*
agent-sre-lib.networkPolicy: ingress to the service's pods only from the Knative data plane
(activator, ingress gateway, broker dispatcher), monitoring, and optionally the same namespace.
Egress stays open unless networkPolicy.egress lists rules; then DNS is allowed in addition.
*/ -}}
{{- define "agent-sre-lib.networkPolicy" -}}
{{- $c := dict -}}
{{- include "agent-sre-lib.config" (list . $c) -}}
{{- $v := $c.v -}}
{{- $np := $v.networkPolicy -}}
{{- if $np.enabled -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ $v.name }}
  labels:
    {{- toYaml $v.labels | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      serving.knative.dev/service: {{ $v.name }}
  policyTypes:
    - Ingress
    {{- if kindIs "slice" $np.egress }}
    - Egress
    {{- end }}
  {{- $from := list }}
  {{- with $np.ingressNamespaces }}
  {{- $from = append $from (dict "namespaceSelector" (dict "matchExpressions" (list (dict "key" "kubernetes.io/metadata.name" "operator" "In" "values" .)))) }}
  {{- end }}
  {{- if $np.allowSameNamespace }}
  {{- $from = append $from (dict "podSelector" dict) }}
  {{- end }}
  {{- /* An empty "from" would admit everyone: with no sources the policy admits no one. */}}
  {{- if $from }}
  ingress:
    - from:
        {{- toYaml $from | nindent 8 }}
  {{- else }}
  ingress: []
  {{- end }}
  {{- if kindIs "slice" $np.egress }}
  egress:
    - ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
    {{- with $np.egress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
{{- end -}}
{{- end -}}
