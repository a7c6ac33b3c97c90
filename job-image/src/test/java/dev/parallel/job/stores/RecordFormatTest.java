package dev.parallel.job.stores;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RecordFormatTest {
    static final String OK = "{\"index\":3,\"id\":\"t3\",\"ok\":true,\"value\":{\"hits\":7,\"s\":\"a,b\"},\"attempts\":1,\"millis\":12}";
    static final String FAILED = "{\"index\":4,\"id\":\"t4\",\"ok\":false,\"error\":\"boom \\\"quoted\\\"\",\"attempts\":3,\"millis\":5}";

    @ParameterizedTest(name = "{0} failedOnly={1}")
    @CsvSource(delimiter = '|', value = {
        "jsonl|false|ok|" + OK,
        "jsonl|true|ok|",
        "jsonl|true|failed|" + FAILED,
        "csv|false|ok|3,t3,true,1,12,\"{\"\"hits\"\":7,\"\"s\"\":\"\"a,b\"\"}\",",
        "csv|false|failed|4,t4,false,3,5,,\"boom \"\"quoted\"\"\"",
        "csv|true|ok|",
    })
    void formats(String format, boolean failedOnly, String which, String expected) {
        String stored = which.equals("ok") ? OK : FAILED;
        assertThat(RecordFormat.of(format).line(stored, failedOnly)).isEqualTo(expected);
    }

    @Test
    void blankLinesAreSkippedAndGarbageIsNamed() {
        assertThat(RecordFormat.jsonl.line("  ", false)).isNull();
        assertThatThrownBy(() -> RecordFormat.csv.line("not json", false)).hasMessageContaining("not a task record: not json");
        assertThatThrownBy(() -> RecordFormat.of("yaml")).hasMessage("-o yaml: use jsonl or csv");
    }

    @Test
    void theBarShowsTheShareDone() {
        assertThat(ProgressBar.render(50, 100)).isEqualTo("[###############...............]  50% 50/100 records");
        assertThat(ProgressBar.render(12_345, -1)).isEqualTo("12,345 records");
        assertThat(ProgressBar.render(150, 100)).startsWith("[##############################] 100%");
    }
}
