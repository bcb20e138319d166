{{- /*
agent-sre-lib.knativeService: the service's Knative Service. Knative sets PORT from the single
containerPort and K_SERVICE/K_REVISION/K_CONFIGURATION itself; probes omit the port so they go
through the queue-proxy to that same port.
*/ -}}
{{- define "agent-sre-lib.knativeService" -}}
{{- $c := dict -}}
{{- include "agent-sre-lib.config" (list . $c) -}}
{{- $v := $c.v -}}
{{- $a := $v.autoscaling -}}
{{- $metrics := dict "kpa.autoscaling.knative.dev" (list "concurrency" "rps") "hpa.autoscaling.knative.dev" (list "cpu" "memory") -}}
{{- if not (has $a.metric (get $metrics $a.class | default list)) -}}
{{- fail (printf "agent-sre-lib: autoscaling.metric %q is not valid for autoscaling.class %q (kpa: concurrency|rps, hpa: cpu|memory)" (toString $a.metric) (toString $a.class)) -}}
{{- end -}}
{{- if gt (int $a.minScale) (int $a.maxScale) -}}
{{- fail (printf "agent-sre-lib: autoscaling.minScale (%v) exceeds autoscaling.maxScale (%v)" $a.minScale $a.maxScale) -}}
{{- end -}}
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: {{ $v.name }}
  labels:
    {{- toYaml $v.labels | nindent 4 }}
spec:
  template:
    metadata:
      labels:
        {{- toYaml (merge (deepCopy $v.podLabels) (omit $v.labels "helm.sh/chart")) | nindent 8 }}
      annotations:
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        autoscaling.knative.dev/class: {{ $a.class | quote }}
        autoscaling.knative.dev/metric: {{ $a.metric | quote }}
        autoscaling.knative.dev/target: {{ $a.target | toString | quote }}
        autoscaling.knative.dev/min-scale: {{ $a.minScale | toString | quote }}
        autoscaling.knative.dev/max-scale: {{ $a.maxScale | toString | quote }}
    spec:
      serviceAccountName: {{ $v.serviceAccountName }}
      containerConcurrency: {{ $v.containerConcurrency }}
      timeoutSeconds: {{ $v.timeoutSeconds }}
      containers:
        - name: {{ $v.name }}
          image: {{ $v.imageRef | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          {{- with $v.command }}
          command:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.args }}
          args:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: http1
              containerPort: {{ $v.containerPort }}
          {{- $env := include "agent-sre-lib.env" $v | fromYamlArray }}
          {{- with $env }}
          env:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          readinessProbe:
            httpGet:
              path: {{ $v.probes.readiness.path }}
            {{- toYaml (omit $v.probes.readiness "path") | nindent 12 }}
          livenessProbe:
            httpGet:
              path: {{ $v.probes.liveness.path }}
            {{- toYaml (omit $v.probes.liveness "path") | nindent 12 }}
          {{- with $v.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $v.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- $secrets := include "agent-sre-lib.secretFileVolumes" $v | fromYamlArray }}
          {{- if $secrets }}
          volumeMounts:
            {{- range $secrets }}
            - name: {{ .name }}
              mountPath: {{ printf "%s/%s" $v.secretFilesMountPath .secret.secretName }}
              readOnly: true
            {{- end }}
          {{- end }}
      {{- if $secrets }}
      volumes:
        {{- toYaml $secrets | nindent 8 }}
      {{- end }}
{{- end -}}

{{- /*
agent-sre-lib.env: plain values first (sorted by name), then secretKeyRef variables, then
<NAME>_FILE variables pointing at mounted secret files (the service reads the file).
*/ -}}
{{- define "agent-sre-lib.env" -}}
{{- $v := . -}}
{{- $env := list -}}
{{- range $name, $value := $v.env -}}
{{- $env = append $env (dict "name" $name "value" (toString $value)) -}}
{{- end -}}
{{- range $v.secretEnv -}}
{{- if not (and (get . "name") (get . "secretName") (get . "key")) -}}
{{- fail (printf "agent-sre-lib: secretEnv entries need name, secretName and key: %s" (toJson .)) -}}
{{- end -}}
{{- $ref := dict "name" .secretName "key" .key -}}
{{- if hasKey . "optional" }}{{- $_ := set $ref "optional" .optional -}}{{- end -}}
{{- $env = append $env (dict "name" .name "valueFrom" (dict "secretKeyRef" $ref)) -}}
{{- end -}}
{{- range $v.secretFiles -}}
{{- if not (and (get . "name") (get . "secretName") (get . "key")) -}}
{{- fail (printf "agent-sre-lib: secretFiles entries need name, secretName and key: %s" (toJson .)) -}}
{{- end -}}
{{- $env = append $env (dict "name" (printf "%s_FILE" .name) "value" (printf "%s/%s/%s" $v.secretFilesMountPath .secretName .key)) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{- /* agent-sre-lib.secretFileVolumes: one read-only secret volume per secret named in secretFiles. */ -}}
{{- define "agent-sre-lib.secretFileVolumes" -}}
{{- $byName := dict -}}
{{- range .secretFiles -}}
{{- $keys := get $byName .secretName | default list -}}
{{- $_ := set $byName .secretName (append $keys .key | uniq) -}}
{{- end -}}
{{- $volumes := list -}}
{{- range $secretName, $keys := $byName -}}
{{- $items := list -}}
{{- range $keys }}{{- $items = append $items (dict "key" . "path" .) -}}{{- end -}}
{{- $volumes = append $volumes (dict "name" (printf "secret-%s" $secretName | trunc 63 | trimSuffix "-") "secret" (dict "secretName" $secretName "items" $items "defaultMode" 256)) -}}
{{- end -}}
{{- toYaml $volumes -}}
{{- end -}}
