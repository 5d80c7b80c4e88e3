package io.distillery.config;

/**
 * A problem the user can fix: bad input data, a bad config value, a store that does not match its teacher.
 * The message is one or more full sentences naming the key or column and the offending value; the CLI prints it
 * without a stack trace and exits with {@link #EXIT_CODE}.
 */
public class DistilleryException extends RuntimeException {
    /** Exit code for user errors (bad input, bad config); other failures exit with 1. */
    public static final int EXIT_CODE = 2;

    public DistilleryException(String message) {
        super(message);
    }

    public DistilleryException(String message, Throwable cause) {
        super(message, cause);
    }
}
