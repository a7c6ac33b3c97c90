package dev.parallel.job.cli;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.job.stores.ProgressBar;
import dev.parallel.job.stores.RecordFormat;
import dev.parallel.job.stores.ResultsSource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code parallel-job results NAME}: every task's record of a ParallelJob, from whichever store its status.results
 * names, streamed to stdout as JSON lines or CSV. Talks to the cluster through the kubeconfig (KUBECONFIG,
 * ~/.kube/config, or the pod's own account), like kubectl.
 */
@Command(name = "results", description = "Print every task's record of a ParallelJob (from the results ConfigMap or its S3 bucket).")
public final class ResultsCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "the ParallelJob's name")
    String name;

    @Option(names = {"-n", "--namespace"}, description = "its namespace (default: the kubeconfig context's)")
    String namespace;

    @Option(names = {"-o", "--output"}, defaultValue = "jsonl", description = "jsonl (as stored) or csv (" + RecordFormat.CSV_HEADER + ")")
    String output;

    @Option(names = "--failed", description = "only the tasks that failed")
    boolean failed;

    @Option(names = "--endpoint", description = "read the S3 bucket through this endpoint instead of status.results.endpoint "
            + "(e.g. a port-forward to an in-cluster server)")
    String endpoint;

    @Option(names = "--no-progress", description = "no progress bar (drawn on stderr when it is a terminal)")
    boolean noProgress;

    @Override
    public Integer call() {
        RecordFormat format;
        try {
            format = RecordFormat.of(output);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 2;
        }
        try (KubernetesClient client = new KubernetesClientBuilder().build()) {
            String ns = namespace != null ? namespace : client.getNamespace() != null ? client.getNamespace() : "default";
            Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
            long n = print(client, ns, name, format, failed, endpoint, out,
                    System.err, !noProgress && ProgressBar.stderrIsTerminal());
            return n < 0 ? 1 : 0;
        } catch (KubernetesClientException e) {
            System.err.println("error: " + (e.getCode() == 403 ? "not allowed: " : "") + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            System.err.println("error: " + e.getMessage());
            return 1;
        }
    }

    /**
     * Prints the records of {@code namespace/name} to {@code out} (flushed, not closed); returns how many, or -1 when
     * the ParallelJob does not exist (said on {@code err}).
     */
    public static long print(KubernetesClient client, String namespace, String name, RecordFormat format, boolean failedOnly,
                             String endpoint, Writer out, PrintStream err, boolean progressBar) {
        ParallelJob pj = client.resources(ParallelJob.class).inNamespace(namespace).withName(name).get();
        if (pj == null) {
            err.println("error: paralleljob " + namespace + "/" + name + " not found");
            return -1;
        }
        ResultsSource source = ResultsSource.of(client, pj, endpoint);
        var bar = new ProgressBar(err, source.expected(), progressBar);
        long[] printed = {0};
        try {
            if (format.header() != null) out.write(format.header() + "\n");
            source.forEachLine(stored -> {
                String line = format.line(stored, failedOnly);
                if (!stored.isBlank()) bar.step();
                if (line == null) return;
                try {
                    out.write(line);
                    out.write('\n');
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                printed[0]++;
            });
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        bar.done();
        return printed[0];
    }
}
