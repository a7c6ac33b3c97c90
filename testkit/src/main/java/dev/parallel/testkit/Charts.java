package dev.parallel.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The operator's Helm chart as a folder helm can install: {@code pj.chart} when set, else the copy in this jar. */
final class Charts {
    private static final String RESOURCE = "dev/parallel/testkit/chart";
    private static Path extracted;

    private Charts() {}

    static synchronized Path chart() {
        String named = ParallelJobCluster.setting("pj.chart", "PJ_CHART", "");
        if (!named.isBlank()) return Path.of(named);
        if (extracted == null) extracted = extract();
        return extracted;
    }

    private static Path extract() {
        var url = Charts.class.getClassLoader().getResource(RESOURCE + "/Chart.yaml");
        if (url == null) throw new IllegalStateException("the testkit jar lacks its Helm chart (" + RESOURCE + ")");
        try {
            URI uri = url.toURI();
            Path target = Files.createTempDirectory("parallel-job-chart-");
            if ("jar".equals(uri.getScheme())) {
                try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of())) {
                    copy(fs.getPath(RESOURCE), target);
                }
            } else {
                copy(Path.of(uri).getParent(), target);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(dest);
                else Files.copy(p, dest);
            }
        }
    }
}
