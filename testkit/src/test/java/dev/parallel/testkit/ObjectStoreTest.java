package dev.parallel.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The image ObjectStore deploys is the one hack/images.sh s3 builds from hack/s3/go.mod's SeaweedFS version. */
class ObjectStoreTest {
    @Test
    void imageTagIsTheSeaweedfsVersionOfHackS3() throws Exception {
        String mod = Files.readString(Path.of("../hack/s3/go.mod"));
        var m = Pattern.compile("github\\.com/seaweedfs/seaweedfs (v\\S+)").matcher(mod);
        assertThat(m.find()).as("hack/s3/go.mod requires github.com/seaweedfs/seaweedfs").isTrue();
        String version = m.group(1);
        // hack/s3.sh image: a pseudo-version without its "v0.0.0-" (not a valid tag)
        assertThat(ObjectStore.IMAGE).isEqualTo("docker.io/parallel-dev/seaweedfs:" + version.replaceFirst("^v0\\.0\\.0-", ""));
    }
}
