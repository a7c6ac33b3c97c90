package dev.parallel.api.contract;

/**
 * Command tasks in a user's image (no Java there): part of the contract, shared by the operator (which
 * puts {@link #RUNNER} into the user's container and the job image beside it as a native sidecar) and
 * the job image's sidecar (which feeds the runner and turns its outputs into results).
 * Files in {@link #RUN_DIR}: tasks/K.env (one per task of the part), tasks.count, ready (sidecar);
 * claim/K, out/K.stdout|stderr|exit, done (runner); summary.json, exit, summary.done (sidecar).
 */
public final class CommandInImage {
    private CommandInImage() {}

    /** Shared emptyDir between the sidecar and the user's container. */
    public static final String RUN_DIR = "/pj/run";

    /**
     * Runs in the user's image with only /bin/sh: PJ_THREADS workers claim tasks with mkdir (atomic),
     * run each with its env file, retry per PJ_RETRIES, record exit code and attempts.
     */
    public static final String RUNNER = """
            R=${PJ_RUN_DIR:-/pj/run}
            while [ ! -e "$R/ready" ]; do sleep 0.1; done
            n=$(cat "$R/tasks.count"); w=${PJ_THREADS:-1}; mkdir -p "$R/claim" "$R/out"
            work() {
              k=0
              while [ "$k" -lt "$n" ]; do
                if mkdir "$R/claim/$k" 2>/dev/null; then
                  a=0
                  while :; do
                    a=$((a + 1))
                    ( . "$R/tasks/$k.env"; exec /bin/sh -c "$PJ_COMMAND" ) >"$R/out/$k.stdout" 2>"$R/out/$k.stderr" </dev/null
                    c=$?
                    if [ "$c" -eq 0 ] || [ "$a" -gt "${PJ_RETRIES:-0}" ]; then break; fi
                  done
                  echo "$a $c" >"$R/out/$k.tmp" && mv "$R/out/$k.tmp" "$R/out/$k.exit"
                fi
                k=$((k + 1))
              done
            }
            i=0
            while [ "$i" -lt "$w" ]; do work & i=$((i + 1)); done
            wait
            touch "$R/done"
            while [ ! -e "$R/summary.done" ]; do sleep 0.1; done
            cat "$R/summary.json" >"${PJ_TERMINATION_LOG:-/dev/termination-log}" 2>/dev/null
            exit "$(cat "$R/exit")"
            """;
}
