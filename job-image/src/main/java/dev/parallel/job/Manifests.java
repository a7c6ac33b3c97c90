package dev.parallel.job;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.SpecValidator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Reads a ParallelJob manifest from a file, the same YAML users kubectl apply. */
public final class Manifests {
    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Manifests() {}

    /** A manifest that cannot run, with one line per problem naming the field path. */
    public static final class InvalidManifest extends Exception {
        public final List<String> problems;

        InvalidManifest(List<String> problems) {
            super(String.join("\n", problems));
            this.problems = problems;
        }
    }

    public static ParallelJob read(Path file) throws IOException, InvalidManifest {
        ParallelJob job;
        try {
            job = YAML.readValue(file.toFile(), ParallelJob.class);
        } catch (JsonMappingException e) {
            if (e.getCause() instanceof com.fasterxml.jackson.core.exc.StreamReadException bad) {
                throw new InvalidManifest(List.of(file + ": not valid YAML: " + bad.getOriginalMessage()));
            }
            String why = e.getOriginalMessage().lines().findFirst().orElse("");
            if (why.contains("IntOrString")) { // a matrix value or exclude entry that is neither
                why = "must be an integer or a string: write fractional numbers (and true/false) quoted, e.g. \"0.01\"";
            }
            throw new InvalidManifest(List.of(path(e) + ": " + why));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidManifest(List.of(file + ": not valid YAML: " + e.getOriginalMessage()));
        }
        List<String> problems = new ArrayList<>();
        for (var p : SpecValidator.validate(job)) problems.add(p.toString());
        if (!problems.isEmpty()) throw new InvalidManifest(problems);
        return job;
    }

    private static String path(JsonMappingException e) {
        String p = e.getPath().stream()
                .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining());
        return p.isEmpty() ? "(document)" : p.substring(p.startsWith(".") ? 1 : 0);
    }
}
