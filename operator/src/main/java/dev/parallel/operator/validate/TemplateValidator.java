package dev.parallel.operator.validate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parallel.api.contract.CommandInImage;
import dev.parallel.api.contract.Json;
import dev.parallel.api.contract.PodContract;
import dev.parallel.api.contract.ResultsContract;
import dev.parallel.api.v1alpha1.ParallelJobSpec;
import dev.parallel.api.v1alpha1.PodTemplateRules;
import dev.parallel.api.v1alpha1.SpecValidator.Problem;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;

/**
 * Pure: what spec.template may not say and the CRD's CEL rules cannot afford to check (the pod template's
 * lists are unbounded, so a rule over them exceeds the cost budget), plus the contract rules CEL does check
 * (again, for objects stored before a CRD upgrade). Each problem names the field and the fix.
 */
public final class TemplateValidator {
    private TemplateValidator() {}

    /** Where the operator mounts its own volumes in the task container: a second mount there is refused. */
    static final List<String> OPERATOR_MOUNTS = List.of(PodContract.WORK_DIR, "/tmp", PodContract.TASKS_DIR,
            CommandInImage.RUN_DIR, PodContract.SSH_DIR, ResultsContract.TOKEN_DIR, ResultsContract.DONE_DIR);

    static final String TASK = "spec.template.spec.containers[task]";

    public static List<Problem> problems(ParallelJobSpec s) {
        List<Problem> p = new ArrayList<>();
        if (s.env != null) contractEnv(p, "spec.env", s.env);
        if (s.template == null || s.template.getSpec() == null) return p;
        PodSpec u = s.template.getSpec();
        if (u.getRestartPolicy() != null && !"Never".equals(u.getRestartPolicy())) {
            p.add(new Problem("spec.template.spec.restartPolicy", "the operator sets Never (a failed pod is retried per "
                    + "spec.retriesPerTask); remove it"));
        }
        List<Container> containers = u.getContainers() == null ? List.of() : u.getContainers();
        long tasks = containers.stream().filter(c -> PodTemplateRules.TASK_CONTAINER.equals(c.getName())).count();
        if (tasks > 1) p.add(new Problem("spec.template.spec.containers", "at most one container named task, found " + tasks));
        for (int i = 0; i < containers.size(); i++) {
            String name = containers.get(i).getName();
            if (PodTemplateRules.OPERATOR_CONTAINERS.contains(name)) {
                p.add(new Problem("spec.template.spec.containers[" + i + "].name", "'" + name + "' is one of the operator's "
                        + "containers (" + String.join(", ", PodTemplateRules.OPERATOR_CONTAINERS) + "): name the task "
                        + "container's entry task, and your own containers anything else"));
            }
        }
        List<Container> inits = u.getInitContainers() == null ? List.of() : u.getInitContainers();
        for (int i = 0; i < inits.size(); i++) {
            String name = inits.get(i).getName();
            if (PodTemplateRules.TASK_CONTAINER.equals(name) || PodTemplateRules.OPERATOR_CONTAINERS.contains(name)) {
                p.add(new Problem("spec.template.spec.initContainers[" + i + "].name", "'" + name + "' is the name of one of "
                        + "the operator's containers (task, " + String.join(", ", PodTemplateRules.OPERATOR_CONTAINERS)
                        + "); name your init containers anything else"));
            }
        }
        List<Volume> volumes = u.getVolumes() == null ? List.of() : u.getVolumes();
        for (int i = 0; i < volumes.size(); i++) {
            String name = volumes.get(i).getName();
            if (PodTemplateRules.OPERATOR_VOLUMES.contains(name)) {
                p.add(new Problem("spec.template.spec.volumes[" + i + "].name", "'" + name + "' is one of the operator's "
                        + "volumes (" + String.join(", ", PodTemplateRules.OPERATOR_VOLUMES) + "); name yours anything else"));
            }
        }
        containers.stream().filter(c -> PodTemplateRules.TASK_CONTAINER.equals(c.getName())).findFirst()
                .ifPresent(task -> taskEntry(p, task));
        return p;
    }

    /** The task entry adds what TASK_FIELDS names; the rest of the task container is the operator's. */
    private static void taskEntry(List<Problem> p, Container task) {
        JsonNode fields = Json.mapper().valueToTree(task);
        fields.properties().forEach(f -> {
            String k = f.getKey();
            boolean set = !f.getValue().isNull() && !(f.getValue().isContainerNode() && f.getValue().isEmpty());
            if (!set || "name".equals(k) || PodTemplateRules.TASK_FIELDS.contains(k)) return;
            String why = switch (k) {
                case "image" -> "the task container's image is spec.image (default the operator's job image); set spec.image instead";
                case "command", "args" -> "command and args are the operator's (they run spec.command once per task); "
                        + "set spec.command instead";
                default -> "is the operator's; the task entry may set only " + String.join(", ", PodTemplateRules.TASK_FIELDS)
                        + " (put anything else in a container of your own)";
            };
            p.add(new Problem(TASK + "." + k, why));
        });
        if (task.getEnv() != null) contractEnv(p, TASK + ".env", task.getEnv());
        List<VolumeMount> mounts = task.getVolumeMounts() == null ? List.of() : task.getVolumeMounts();
        for (int i = 0; i < mounts.size(); i++) {
            String path = mounts.get(i).getMountPath();
            if (path != null && OPERATOR_MOUNTS.contains(path.replaceAll("/+$", ""))) {
                p.add(new Problem(TASK + ".volumeMounts[" + i + "].mountPath", path + " is where the operator mounts its own "
                        + "volume (" + String.join(", ", OPERATOR_MOUNTS) + "); mount yours elsewhere, e.g. /data"));
            }
        }
    }

    private static void contractEnv(List<Problem> p, String field, List<EnvVar> env) {
        for (int i = 0; i < env.size(); i++) {
            String name = env.get(i).getName();
            if (PodTemplateRules.contractEnv(name)) {
                p.add(new Problem(field + "[" + i + "].name", name + ": " + PodTemplateRules.CONTRACT_ENV_MESSAGE));
            }
        }
    }
}
