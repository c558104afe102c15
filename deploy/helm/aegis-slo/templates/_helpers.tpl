{{/* Names and labels shared by every template. */}}

{{- define "aegis.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release name when it already holds the chart's name, else release-chart; at most 63 characters. */}}
{{- define "aegis.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "aegis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aegis.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "aegis.labels" -}}
{{ include "aegis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: release-gate
app.kubernetes.io/part-of: aegis-slo
{{- end -}}

{{- define "aegis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "aegis.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "aegis.databaseSecret" -}}
{{- default (printf "%s-database" (include "aegis.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}

{{- define "aegis.usesDatabase" -}}
{{- if or .Values.database.url .Values.database.existingSecret -}}true{{- end -}}
{{- end -}}

{{- define "aegis.slosConfigMap" -}}
{{- default (printf "%s-slos" (include "aegis.fullname" .)) .Values.slos.existingConfigMap -}}
{{- end -}}

{{- define "aegis.credentialsSecret" -}}
{{- default (printf "%s-backend-credentials" (include "aegis.fullname" .)) .Values.backendCredentials.existingSecret -}}
{{- end -}}

{{- define "aegis.hasCredentials" -}}
{{- if or .Values.backendCredentials.existingSecret .Values.backendCredentials.files -}}true{{- end -}}
{{- end -}}

{{- define "aegis.apiKeysSecret" -}}
{{- default (printf "%s-api-keys" (include "aegis.fullname" .)) .Values.apiKeys.existingSecret -}}
{{- end -}}

{{- define "aegis.hasApiKeys" -}}
{{- if or .Values.apiKeys.existingSecret .Values.apiKeys.keys -}}true{{- end -}}
{{- end -}}

{{/* Refuse values that would deploy something broken, each with one line saying what to change. */}}
{{- define "aegis.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (not (include "aegis.usesDatabase" .)) -}}
{{- fail "replicaCount > 1 needs a shared database: set database.url or database.existingSecret (SQLite is one replica's file)" -}}
{{- end -}}
{{- $backends := list -}}
{{- range .Values.backends }}{{- $backends = append $backends .name -}}{{- end -}}
{{- if not (has "default" $backends) -}}
{{- fail "backends needs one named default: SLOs that name no backend read it (else they would read the image's synthetic fixtures)" -}}
{{- end -}}
{{- if and .Values.database.url .Values.database.existingSecret -}}
{{- fail "set database.url or database.existingSecret, not both" -}}
{{- end -}}
{{- if and .Values.slos.existingConfigMap .Values.slos.files -}}
{{- fail "set slos.files or slos.existingConfigMap, not both" -}}
{{- end -}}
{{- if and .Values.backendCredentials.existingSecret .Values.backendCredentials.files -}}
{{- fail "set backendCredentials.files or backendCredentials.existingSecret, not both" -}}
{{- end -}}
{{- if and .Values.apiKeys.existingSecret .Values.apiKeys.keys -}}
{{- fail "set apiKeys.keys or apiKeys.existingSecret, not both" -}}
{{- end -}}
{{- if and .Values.tls.enabled (not .Values.tls.secretName) -}}
{{- fail "tls.enabled needs tls.secretName: a kubernetes.io/tls Secret with tls.crt and tls.key" -}}
{{- end -}}
{{- if and .Values.tls.clientCA (not .Values.tls.enabled) -}}
{{- fail "tls.clientCA needs tls.enabled" -}}
{{- end -}}
{{- if and .Values.tls.clientCA (not (and .Values.probes.liveness .Values.probes.readiness)) -}}
{{- fail "tls.clientCA needs probes.liveness and probes.readiness: the kubelet cannot present a client certificate (docs/operations.md#probes)" -}}
{{- end -}}
{{- end -}}

{{- define "aegis.databaseEnv" -}}
{{- if include "aegis.usesDatabase" . -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "aegis.databaseSecret" . }}
      key: {{ .Values.database.existingSecretKey }}
{{- else -}}
- name: DB_PATH
  value: /data/aegis.db
{{- end -}}
{{- end -}}

{{- define "aegis.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}
