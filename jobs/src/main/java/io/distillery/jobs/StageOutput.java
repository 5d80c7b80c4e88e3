package io.distillery.jobs;

import io.distillery.config.DistilleryException;
import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;

/**
 * The decision every stage makes about its output path before doing any work: run, skip (committed output with
 * the same fingerprint, when asked to skip), or refuse (output exists, no {@code --overwrite}).
 */
final class StageOutput {
    private StageOutput() {
    }

    /** True when {@code path} holds a committed artifact whose fingerprint equals {@code fingerprint}. */
    static boolean upToDate(ArtifactFiles files, String path, String fingerprint) {
        if (!files.isCommitted(path)) {
            return false;
        }
        Provenance p = files.readProvenance(path);
        return fingerprint.equals(p.fact(Fingerprint.FACT));
    }

    /** Refuses to proceed when the output exists and may not be overwritten. */
    static void checkWritable(JobContext ctx, String path) {
        if (!ctx.overwrite() && ctx.files().exists(path)) {
            throw new DistilleryException("Output path " + path
                    + " already exists; pass --overwrite to replace it or choose another path.");
        }
    }
}
