package dev.parallel.api.tasks;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pure: what is wrong with one line of a JSON-lines task file, in words a user can act on, and the column where
 * it is (1-based, in the line as written), from the parser's exception; no parser internals in the words.
 */
public record JsonLineProblem(int column, String what) {
    private static final Pattern CHAR = Pattern.compile("Unexpected character \\('(.)' \\(code \\d+\\)\\)");
    private static final Pattern TOKEN = Pattern.compile("(?:Unrecognized|Non-standard) token '([^']*)'");
    private static final Pattern CLOSE = Pattern.compile("Unexpected close marker '(.)': (?:expected '(.)'|no open)");
    private static final Pattern ESCAPE = Pattern.compile("Unrecognized character escape '(.)'");

    /** @param indent characters stripped before the line was parsed (the parser's columns start after them) */
    public static JsonLineProblem of(JsonProcessingException e, int indent) {
        String m = String.valueOf(e.getOriginalMessage());
        int column = indent + (e.getLocation() == null ? 1 : Math.max(1, e.getLocation().getColumnNr()));
        Matcher c = CHAR.matcher(m), t = TOKEN.matcher(m), close = CLOSE.matcher(m), esc = ESCAPE.matcher(m);
        String found = c.find() ? c.group(1) : null;
        if (t.find()) {
            column -= t.group(1).length(); // the parser points after the token: point at its start
            return new JsonLineProblem(column, "'" + t.group(1) + "' is not a JSON value: strings need double quotes, "
                    + "and true, false and null are lowercase");
        }
        String what;
        if (m.contains("expected close marker for Object") || m.contains("within/between Object entries")) {
            what = "the object is not closed: expected '}' or ','";
        } else if (m.contains("expected close marker for Array") || m.contains("within/between Array entries")) {
            what = "the array is not closed: expected ']' or ','";
        } else if (m.contains("end-of-input")) {
            what = "a string is not closed: expected '\"'";
        } else if (m.contains("double-quote to start field name")) {
            what = "}".equals(found) ? "a ',' before '}': JSON allows no trailing comma"
                    : "'".equals(found) ? "field names need double quotes, not single quotes"
                    : "field names need double quotes (this line is YAML-like, the file is JSON lines): found '" + found + "'";
        } else if (m.contains("colon to separate field name and value")) {
            what = "expected ':' after the field name, found '" + found + "'";
        } else if (m.contains("comma to separate Object entries")) {
            what = "expected ',' or '}' after a value, found '" + found + "'";
        } else if (m.contains("comma to separate Array entries")) {
            what = "expected ',' or ']' after a value, found '" + found + "'";
        } else if (m.contains("expected a valid value")) {
            what = "'".equals(found) ? "strings need double quotes, not single quotes"
                    : "expected a value (a string in double quotes, a number, an object, an array, true, false or null), found '"
                    + found + "'";
        } else if (close.find()) {
            what = close.group(2) == null ? "an extra '" + close.group(1) + "': nothing is open to close"
                    : "found '" + close.group(1) + "' where '" + close.group(2) + "' closes the open "
                    + ("}".equals(close.group(2)) ? "object" : "array");
        } else if (m.contains("Trailing token")) {
            what = "more after the object ends: one JSON object per line";
        } else if (m.contains("Leading zeroes")) {
            what = "a number may not start with 0 (quote it if it is a name)";
        } else if (m.contains("numeric value")) {
            what = "not a valid number";
        } else if (m.contains("Illegal unquoted character")) {
            what = "a tab or other control character inside a string must be escaped (\\t, \\n)";
        } else if (esc.find()) {
            what = "'\\" + esc.group(1) + "' is not a JSON escape (a backslash itself is written \\\\)";
        } else {
            what = m.replaceAll(" \\(code \\d+\\)", "").replaceAll("\\s*\\(?(start marker at|for \\w+ starting at)? ?\\[Source.*$", "");
        }
        return new JsonLineProblem(column, what);
    }
}
