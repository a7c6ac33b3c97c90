{{- define "pj.name" -}}parallel-job-operator{{- end }}
{{- define "pj.fullname" -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}-parallel-job-operator{{- end }}
{{- define "pj.labels" -}}
app.kubernetes.io/name: {{ include "pj.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}
{{- define "pj.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pj.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
{{/* The operator's permissions: exactly what it uses (checked by a test against an expected table). */}}
{{- define "pj.rules" -}}
- apiGroups: [parallel.dev]
  resources: [paralleljobs]
  verbs: [get, list, watch]
- apiGroups: [parallel.dev]
  resources: [paralleljobs/status]
  verbs: [get, patch, update]
# delete (jobs, configmaps): only what a deleted ParallelJob of the same name left behind, when the
# garbage collector has not removed it (e.g. it missed the deletion during an API-server restart).
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update, delete]
# executor: mpi: a fresh SSH key pair per ParallelJob (created and deleted, never read) and the
# headless Service that names the worker pods.
- apiGroups: [""]
  resources: [secrets, services]
  verbs: [create, delete]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
# list: the Job controller's FailedCreate events say why a Job has no pods (Pod Security admission,
# quota); the ParallelJob's condition carries that message (operator/.../deploy/PodCreation).
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch, list]
{{- end }}
