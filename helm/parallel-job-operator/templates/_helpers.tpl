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
{{- if .Values.results.stream }}
# spec.serviceAccountName: whether it exists yet (the run waits for it, as for its tasks ConfigMap); and the
# results.stream writer identity per ParallelJob: its ServiceAccount, a Role that may only create
# TaskResultBatches, their RoleBinding (get: found after a restart; delete: a deleted namesake's leftover).
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get, create, delete]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [get, create, delete]
{{- else }}
# spec.serviceAccountName: whether it exists yet (the run waits for it, as for its tasks ConfigMap).
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get]
{{- end }}
# The pods' streamed TaskResultBatches: folded (list, watch), then deleted (by name, and by label at the end).
# create: RBAC lets the operator grant only what it holds (the writers' Role), never used otherwise. Kept
# with results.stream off: batches of a run streamed before the switch are removed with their Job.
- apiGroups: [parallel.dev]
  resources: [taskresultbatches]
  verbs: [get, list, watch, delete, deletecollection, create]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update, delete]
# executor: mpi: a fresh SSH key pair per ParallelJob (created and deleted, never read) and the
# headless Service that names the worker pods.
- apiGroups: [""]
  resources: [secrets, services]
  verbs: [create, delete]
# The S3 results store's credentials (spec.results.secretRef, chart value results.s3.secretName): read only for a
# ParallelJob whose store is s3, never written.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
# list: the Job controller's FailedCreate events say why a Job has no pods (Pod Security admission,
# quota); the ParallelJob's condition carries that message (operator/.../deploy/PodCreation).
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch, list]
{{- if .Values.kueue.enabled }}
# kueue.enabled: each queued ParallelJob's Workload (delete: a deleted namesake's leftover), its status
# (cleared after an eviction, Finished at the end), and a re-admitted Job's status.startTime (cleared so
# the flavors' node labels can go onto its suspended template).
- apiGroups: [kueue.x-k8s.io]
  resources: [workloads]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [kueue.x-k8s.io]
  resources: [workloads/status]
  verbs: [patch, update]
- apiGroups: [batch]
  resources: [jobs/status]
  verbs: [patch]
{{- end }}
{{- if .Values.networkPolicies.enabled }}
# networkPolicies.enabled: one NetworkPolicy per ParallelJob for its pods (created, never read; the garbage
# collector deletes it with its owner).
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [create]
{{- end }}
{{- end }}
{{/* kueue.enabled: cluster-scoped reads, so a ClusterRole even when watchNamespaces lists namespaces. */}}
{{- define "pj.kueueClusterRules" -}}
# The admitted flavors' node labels and tolerations, and the Workload's priority.
- apiGroups: [kueue.x-k8s.io]
  resources: [resourceflavors, workloadpriorityclasses]
  verbs: [get]
- apiGroups: [scheduling.k8s.io]
  resources: [priorityclasses]
  verbs: [get]
{{- end }}
{{/* The operator's own identity as the API server sees it (exempt from the results admission policy). */}}
{{- define "pj.username" -}}system:serviceaccount:{{ .Release.Namespace }}:{{ include "pj.fullname" . }}{{- end }}
