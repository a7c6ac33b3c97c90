package dev.parallel.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.parallel.testkit.Processes;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result an example must give, computed from its YAML alone by code that shares nothing with the job image
 * or the operator (no kernel, {@code Reducer}, {@code Partition} or {@code TaskList} of ours): the tasks are read
 * from the manifest's tree (range, items, params); the built-in kernels run in bench/omp.c, the C reference of
 * docs/contract.md (used only through its command line: {@code omp KERNEL TASKS_FILE THREADS}, a line per task,
 * one {@code {"result": ...}} out), compiled with gcc into e2e/target once per run; command tasks run with
 * /bin/sh here, one process per task with the TASK_* environment, their last JSON line summed; sleep is tasks x
 * millis. Anything it cannot compute (another reduction, task source or kernel) is an error, not a pass.
 */
final class ExampleReference {
    /** The expected outcome: the task count and status.result (null when the reduction is none). */
    record Expected(long tasks, JsonNode result) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final BigInteger GOLDEN = new BigInteger("9E3779B97F4A7C15", 16);
    private static final BigInteger MASK = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static Path omp;

    private ExampleReference() {}

    /** One task: its position in the whole list, its id and its parameters (spec.params overlaid by its own). */
    record RefTask(long index, String id, ObjectNode params) {}

    static Expected of(Path manifest) throws Exception {
        JsonNode spec = new YAMLMapper().readTree(manifest.toFile()).get("spec");
        List<RefTask> tasks = tasks(spec);
        String kernel = spec.path("kernel").asText(null);
        String command = spec.path("command").asText(null);
        if (spec.has("reduction")) throw new IllegalArgumentException(manifest + ": no reference for spec.reduction");
        // The documented default: sum for pi, primes and matmul; none for sleep and commands.
        String reduce = spec.has("reduce") ? spec.get("reduce").asText()
                : kernel == null || kernel.equals("sleep") ? "none" : "sum";
        if (!reduce.equals("sum") && !reduce.equals("none")) {
            throw new IllegalArgumentException(manifest + ": no reference for reduce " + reduce);
        }
        if (reduce.equals("none")) return new Expected(tasks.size(), null);
        JsonNode result;
        if (command != null) {
            result = commands(command, tasks);
        } else {
            result = switch (kernel) {
                case "pi" -> {
                    StringBuilder lines = new StringBuilder();
                    long samples = 0;
                    for (RefTask t : tasks) {
                        long n = t.params().get("samples").asLong();
                        samples += n;
                        lines.append(streamState(t.params().path("seed").asLong(0), t.index())).append(' ').append(n).append('\n');
                    }
                    long hits = omp("pi", lines).longValue();
                    ObjectNode pi = F.objectNode();
                    pi.put("hits", hits);
                    pi.put("samples", samples);
                    pi.put("estimate", 4.0 * hits / samples);
                    yield pi;
                }
                case "primes" -> {
                    StringBuilder lines = new StringBuilder();
                    for (RefTask t : tasks) lines.append(t.params().get("from").asLong()).append(' ').append(t.params().get("to").asLong()).append('\n');
                    yield F.numberNode(omp("primes", lines).longValue());
                }
                case "matmul" -> {
                    StringBuilder lines = new StringBuilder();
                    for (RefTask t : tasks) {
                        lines.append(streamState(t.params().path("seed").asLong(0), t.index())).append(' ')
                                .append(t.params().get("n").asLong()).append('\n');
                    }
                    yield F.numberNode(omp("matmul", lines).doubleValue());
                }
                case "sleep" -> {
                    long millis = 0;
                    for (RefTask t : tasks) millis += t.params().get("millis").asLong();
                    yield F.numberNode(millis);
                }
                default -> throw new IllegalArgumentException(manifest + ": no reference for kernel " + kernel);
            };
        }
        return new Expected(tasks.size(), result);
    }

    /** Task t's stream state, seed XOR (t * golden) modulo 2^64 (docs/contract.md), as the unsigned decimal omp reads. */
    static String streamState(long seed, long taskIndex) {
        BigInteger s = BigInteger.valueOf(seed).and(MASK);
        return s.xor(BigInteger.valueOf(taskIndex).multiply(GOLDEN).and(MASK)).toString();
    }

    static List<RefTask> tasks(JsonNode spec) {
        ObjectNode shared = spec.has("params") ? (ObjectNode) spec.get("params") : F.objectNode();
        JsonNode src = spec.get("tasks");
        List<RefTask> out = new ArrayList<>();
        if (src.has("range")) {
            JsonNode r = src.get("range");
            long start = r.get("start").asLong(), end = r.get("end").asLong(), step = r.path("step").asLong(1);
            String param = r.path("param").asText("value");
            long i = 0;
            for (long v = start; v < end; v += step, i++) {
                ObjectNode p = shared.deepCopy();
                p.put(param, v);
                out.add(new RefTask(i, Long.toString(i), p));
            }
        } else if (src.has("items")) {
            long i = 0;
            for (JsonNode item : src.get("items")) {
                ObjectNode p = shared.deepCopy();
                String id = Long.toString(i);
                for (Iterator<Map.Entry<String, JsonNode>> it = item.fields(); it.hasNext(); ) {
                    var e = it.next();
                    if (e.getKey().equals("id")) id = e.getValue().asText();
                    else p.set(e.getKey(), e.getValue());
                }
                out.add(new RefTask(i++, id, p));
            }
        } else {
            throw new IllegalArgumentException("no reference for task source " + src.fieldNames().next());
        }
        return out;
    }

    /** Each task's command in /bin/sh with its TASK_* environment; the last stdout line's JSON, summed. */
    static JsonNode commands(String command, List<RefTask> tasks) throws Exception {
        JsonNode sum = null;
        for (RefTask t : tasks) {
            Map<String, String> env = new HashMap<>();
            env.put("TASK_ID", t.id());
            env.put("TASK_INDEX", Long.toString(t.index()));
            t.params().fields().forEachRemaining(e -> env.put("TASK_PARAM_" + e.getKey().toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_"),
                    e.getValue().isTextual() ? e.getValue().textValue() : e.getValue().toString()));
            var r = Processes.run(List.of("/bin/sh", "-c", command), Duration.ofSeconds(60), env, null);
            if (r.code() != 0) throw new IllegalStateException("task " + t.id() + " exited " + r.code() + ": " + r.err());
            List<String> lines = r.out().lines().filter(l -> !l.isBlank()).toList();
            JsonNode value = JSON.readTree(lines.get(lines.size() - 1));
            sum = sum == null ? value : add(sum, value);
        }
        return sum;
    }

    /** Integers added exactly, objects field by field (the same field set on both sides). */
    static JsonNode add(JsonNode a, JsonNode b) {
        if (a.isIntegralNumber() && b.isIntegralNumber()) return F.numberNode(Math.addExact(a.longValue(), b.longValue()));
        if (a.isObject() && b.isObject()) {
            ObjectNode out = F.objectNode();
            a.fieldNames().forEachRemaining(f -> {
                if (!b.has(f)) throw new IllegalStateException("field " + f + " missing in " + b);
                out.set(f, add(a.get(f), b.get(f)));
            });
            if (b.size() != a.size()) throw new IllegalStateException("fields differ: " + a + " vs " + b);
            return out;
        }
        throw new IllegalStateException("no reference sum of " + a + " and " + b);
    }

    /** Runs bench/omp.c's binary on these task lines; its "result". */
    static synchronized Number omp(String kernel, CharSequence lines) throws Exception {
        if (omp == null) {
            Path bin = Cluster.ROOT.resolve("e2e/target/omp-reference");
            Files.createDirectories(bin.getParent());
            Processes.run(List.of("gcc", "-O2", "-fopenmp", "-o", bin.toString(), Cluster.ROOT.resolve("bench/omp.c").toString(), "-lm"),
                    Duration.ofMinutes(2)).orThrow(List.of("gcc bench/omp.c (the e2e suite's reference; install gcc)"));
            omp = bin;
        }
        Path file = Files.createTempFile("omp-tasks", ".txt");
        try {
            Files.writeString(file, lines);
            var r = Processes.run(List.of(omp.toString(), kernel, file.toString(), "2"), Duration.ofMinutes(5))
                    .orThrow(List.of("omp-reference", kernel));
            return JSON.readTree(r.out().strip()).get("result").numberValue();
        } finally {
            Files.delete(file);
        }
    }

    /** Prints every example's expected result (to check the reference by hand: the numbers in the examples' comments). */
    public static void main(String[] args) throws Exception {
        try (var files = Files.list(Cluster.ROOT.resolve("k8s-examples"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try {
                    Expected e = of(p);
                    System.out.println(p.getFileName() + ": " + e.tasks() + " tasks, result " + e.result());
                } catch (IllegalArgumentException ex) {
                    System.out.println(p.getFileName() + ": " + ex.getMessage());
                }
            }
        }
    }
}
