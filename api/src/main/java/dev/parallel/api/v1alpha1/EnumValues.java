package dev.parallel.api.v1alpha1;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Parses the lower-case JSON spelling of the API's enums, with an error that lists the choices. */
final class EnumValues {
    private EnumValues() {}

    static <E extends Enum<E>> E parse(E[] values, Function<E, String> spelling, String value, String what) {
        return Arrays.stream(values).filter(v -> spelling.apply(v).equals(value)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown " + what + " '" + value + "'; use one of "
                        + Arrays.stream(values).map(spelling).collect(Collectors.joining(", "))));
    }
}
