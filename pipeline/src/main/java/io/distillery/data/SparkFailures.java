package io.distillery.data;

import io.distillery.config.DistilleryException;
import io.distillery.config.OutOfMemory;

/**
 * Turns Spark's failures while reading user data into {@link DistilleryException}s that name the path. Spark's own
 * messages (AnalysisException, SparkException wrapping a Parquet footer error) are long and name internal files;
 * the user needs to know which input path is bad and why, in one sentence.
 */
final class SparkFailures {
    private SparkFailures() {
    }

    static RuntimeException wrap(String path, Exception e) {
        if (e instanceof DistilleryException de) {
            return de;
        }
        if (isEnvironmentFailure(e) || OutOfMemory.find(e).isPresent()) {
            // A missing class or native library is a broken deployment, and a task out of memory (an executor's
            // error comes back as a message only) needs more memory or smaller batches: not bad data either way.
            return e instanceof RuntimeException re ? re : new IllegalStateException(e);
        }
        String msg = String.valueOf(e.getMessage());
        if (msg.contains("PATH_NOT_FOUND") || msg.contains("Path does not exist")) {
            return new DistilleryException("Data path '" + path + "' does not exist.", e);
        }
        if (msg.contains("UNABLE_TO_INFER_SCHEMA") || msg.contains("Unable to infer schema")) {
            return new DistilleryException("Data path '" + path + "' holds no readable data files "
                    + "(Spark could not infer a schema); is it empty or in another format?", e);
        }
        return new DistilleryException("Data at '" + path + "' could not be read; is a file corrupt or in another "
                + "format? Cause: " + rootMessage(e), e);
    }

    private static boolean isEnvironmentFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ClassNotFoundException || t instanceof LinkageError || t instanceof VirtualMachineError) {
                return true;
            }
        }
        return false;
    }

    /** The innermost cause's message, which is usually the one that names the bad file. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + firstLine(m));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
