{{/* Chart name, overridable. */}}
{{- define "s3-b2-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, unless the release already contains the chart name. */}}
{{- define "s3-b2-gateway.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "s3-b2-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "s3-b2-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "s3-b2-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "s3-b2-gateway.labels" -}}
helm.sh/chart: {{ include "s3-b2-gateway.chart" . }}
{{ include "s3-b2-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "s3-b2-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "s3-b2-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "s3-b2-gateway.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* True (non-empty) when the chart renders the credentials Secret itself. */}}
{{- define "s3-b2-gateway.rendersSecret" -}}
{{- if not .Values.credentials.existingSecret }}
{{- if eq .Values.credentials.mode "file" }}
{{- if .Values.credentials.file }}true{{ end }}
{{- else if .Values.credentials.b2.keyId }}true{{ end }}
{{- end }}
{{- end }}

{{/* The Secret holding credentials, or empty: no credentials (embedded emulator). */}}
{{- define "s3-b2-gateway.secretName" -}}
{{- if .Values.credentials.existingSecret }}
{{- .Values.credentials.existingSecret }}
{{- else if include "s3-b2-gateway.rendersSecret" . }}
{{- include "s3-b2-gateway.fullname" . }}
{{- end }}
{{- end }}
