{{- /*
Defaults for every service chart. A service's values.yaml overrides any of these (maps merge
key by key, lists and scalars replace, null removes). Documented in charts/README.md.
*/ -}}
{{- define "agent-sre-lib.defaults" -}}
nameOverride: ""
global:
  imageRegistry: ""
  runbookBaseUrl: ""
image:
  repository: ""
  tag: ""
  digest: ""
  pullPolicy: IfNotPresent
containerPort: 8080
command: []
args: []
env: {}
secretEnv: []
secretFiles: []
secretFilesMountPath: /var/run/secrets/agent-sre
resources:
  requests:
    cpu: 100m
    memory: 128Mi
  limits:
    memory: 256Mi
probes:
  readiness:
    path: /readyz
    periodSeconds: 5
    timeoutSeconds: 2
    failureThreshold: 3
  liveness:
    path: /healthz
    initialDelaySeconds: 5
    periodSeconds: 10
    timeoutSeconds: 2
    failureThreshold: 3
autoscaling:
  class: kpa.autoscaling.knative.dev
  metric: concurrency
  target: 50
  minScale: 1
  maxScale: 10
containerConcurrency: 0
timeoutSeconds: 300
podAnnotations: {}
podLabels: {}
securityContext:
  runAsNonRoot: true
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
  seccompProfile:
    type: RuntimeDefault
serviceAccount:
  create: true
  name: ""
  annotations: {}
  automountToken: false
triggers: []
networkPolicy:
  enabled: true
  ingressNamespaces: [knative-serving, knative-eventing, kourier-system, istio-system, monitoring]
  allowSameNamespace: true
  egress: null
monitoring:
  runbookBaseUrl: ""
  requestMetric: agentsre_http_request_duration_seconds
  serviceLabel: k_service
  matchers: ""
  excludeRoutes: ""
  alertLabels: {}
  slos: []
  alerts: []
  recordingRules: []
  prometheusRule:
    enabled: true
    labels: {}
dashboard:
  enabled: true
  labels: {}
  panels: []
{{- end -}}
