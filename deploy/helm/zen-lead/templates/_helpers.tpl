{{/* The release's full name, at most 63 characters. */}}
{{- define "zen-lead.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "zen-lead.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "zen-lead.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "zen-lead.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "zen-lead.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "zen-lead.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "zen-lead.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The rules zen-lead needs in every watched namespace (or cluster-wide). */}}
{{- define "zen-lead.workloadRules" -}}
# Read only: zen-lead never writes a pod.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
# Watches the source Services; creates and maintains the leader Services.
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
# The leader Services' EndpointSlices.
- apiGroups: ["discovery.k8s.io"]
  resources: ["endpointslices"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
# Events on the source Services; list: standing warnings are read back, not repeated.
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["list", "create", "patch"]
{{- end -}}
