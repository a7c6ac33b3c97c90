package dev.parallel.operator.gather;

import dev.parallel.api.v1alpha1.ParallelJob;
import dev.parallel.api.v1alpha1.ResultsSpec;
import dev.parallel.operator.OperatorSettings;
import java.util.Locale;
import java.util.Optional;

/**
 * Where a ParallelJob's records go when its store is s3: spec.results first, the chart's results.s3.* values for
 * what it leaves out (a spec with store s3 brings its own bucket and secretRef, the CRD's rules say so; its endpoint,
 * region and prefix default to the chart's). Keys: {@code <prefix>/<namespace>/<name>/<uid>/part-NNNNN/<batch>.jsonl},
 * the uid keeping a re-created namesake's records apart, the batch name making a repeated write the same object.
 */
public record S3Target(String endpoint, String region, String bucket, String prefix, String secretName) {

    /** Empty when the ParallelJob's records stay in the cluster. */
    public static Optional<S3Target> of(ParallelJob pj, OperatorSettings settings) {
        ResultsSpec r = pj.getSpec().results;
        String store = r == null || r.store == null ? settings.resultsStore() : r.store.name();
        if (!ResultsSpec.Store.s3.name().equals(store)) return Optional.empty();
        String endpoint = r != null && r.endpoint != null ? r.endpoint : settings.resultsS3Endpoint().orElse(null);
        String region = r != null && r.region != null ? r.region : settings.resultsS3Region();
        String prefix = r != null && r.prefix != null ? r.prefix : settings.resultsS3Prefix().orElse("");
        if (r != null && r.store != null) { // the CRD requires both with store: s3
            return Optional.of(new S3Target(endpoint, region, r.bucket, trim(prefix), r.secretRef.getName()));
        }
        String bucket = settings.resultsS3Bucket().filter(b -> !b.isBlank()).orElseThrow(() -> new IllegalStateException(
                "the operator's default results store is s3 (chart value results.store) but results.s3.bucket is empty: set it"));
        String secret = settings.resultsS3SecretName().filter(b -> !b.isBlank()).orElseThrow(() -> new IllegalStateException(
                "the operator's default results store is s3 (chart value results.store) but results.s3.secretName is empty: set it"));
        return Optional.of(new S3Target(endpoint, region, bucket, trim(prefix), secret));
    }

    /** This run's folder, ending in '/': what status.results.prefix says and `parallel-job results` lists. */
    public String runPrefix(ParallelJob pj) {
        var m = pj.getMetadata();
        return (prefix.isEmpty() ? "" : prefix + "/") + m.getNamespace() + "/" + m.getName() + "/" + m.getUid() + "/";
    }

    /** The object holding the records that batch {@code batch} of part {@code part} added. */
    public String key(ParallelJob pj, int part, String batch) {
        return runPrefix(pj) + String.format(Locale.ROOT, "part-%05d/%s.jsonl", part, batch);
    }

    private static String trim(String prefix) {
        String p = prefix.strip();
        while (p.startsWith("/")) p = p.substring(1);
        while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p;
    }
}
