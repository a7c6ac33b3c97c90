package dev.parallel.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parallel.api.tasks.TaskList;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A malformed task line is reported by line, column and what is wrong, in words; never the parser's internals. */
class JsonLinesTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "{\"from\": 1, \"to\": 5       | 2, column 20: the object is not closed: expected '}' or ','",
        "{\"from\": 1,                 | 2, column 12: the object is not closed: expected '}' or ','",
        "{from: 1}                     | 2, column 2: field names need double quotes (this line is YAML-like, the file is JSON lines): found 'f'",
        "{'from': 1}                   | 2, column 2: field names need double quotes, not single quotes",
        "{\"a\": 'x'}                  | 2, column 7: strings need double quotes, not single quotes",
        "{\"a\" 1}                     | 2, column 6: expected ':' after the field name, found '1'",
        "{\"a\": 1 \"b\": 2}           | 2, column 9: expected ',' or '}' after a value, found '\"'",
        "{\"a\": 1,}                   | 2, column 9: a ',' before '}': JSON allows no trailing comma",
        "not json                      | 2, column 1: 'not' is not a JSON value: strings need double quotes, and true, false and null are lowercase",
        "{\"a\": True}                 | 2, column 7: 'True' is not a JSON value: strings need double quotes, and true, false and null are lowercase",
        "`   {\"a\": tru}`             | 2, column 10: 'tru' is not a JSON value: strings need double quotes, and true, false and null are lowercase",
        "{\"a\": 1}}                   | 2, column 9: an extra '}': nothing is open to close",
        "{\"a\": 1} {\"b\": 2}         | 2, column 10: more after the object ends: one JSON object per line",
        "{\"a\": [1, 2}                | 2, column 12: found '}' where ']' closes the open array",
        "{\"a\": 01}                   | 2, column 8: a number may not start with 0 (quote it if it is a name)",
        "{\"a\": \"x                   | 2, column 9: a string is not closed: expected '\"'",
        "[1, 2]                        | 2: each line must be a JSON object of parameters ({\"name\": value, ...}), not an array",
        "5                             | 2: each line must be a JSON object of parameters ({\"name\": value, ...}), not a number",
    })
    void aBadLineIsNamedWithItsColumnAndWhatIsWrong(String line, String expected) {
        String text = "{\"from\": 0, \"to\": 5}\n" + line + "\n";
        assertThatThrownBy(() -> TaskList.ofJsonLines(new StringReader(text), null, "tasks ConfigMap tasks/tasks.jsonl"))
                .isInstanceOf(IOException.class)
                .hasMessage("tasks ConfigMap tasks/tasks.jsonl line " + expected)
                .message().doesNotContain("Source", "REDACTED", "code ", "marker", "Feature", "token (of type");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"# a comment", "'   '", "{\"from\": 5, \"to\": 9}"})
    void commentsBlankLinesAndObjectsAreFine(String line) throws IOException {
        var tasks = TaskList.ofJsonLines(new StringReader("{\"from\": 0, \"to\": 5}\n" + line + "\n"), null, "f");
        assertThat(tasks.size()).isEqualTo(line.startsWith("{") ? 2 : 1);
    }
}
