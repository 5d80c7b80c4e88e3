package io.distillery.train;

import java.io.Serializable;

/**
 * What one epoch of one model's training was, as {@link ProgressLog} measured it: kept in the
 * {@link TrainingState} (and so in every checkpoint), so a resumed run still knows the epochs before the resume.
 *
 * @param epoch           1-based epoch number
 * @param loss            mean minibatch training loss of the epoch (of its own rounds only, for a resumed epoch);
 *                        NaN when no minibatch was trained
 * @param heldOutAccuracy accuracy on the held-out (validation or test) rows after the epoch; NaN when not measured
 * @param seconds         wall time of the epoch on the driver, held-out evaluation included
 */
public record EpochRecord(int epoch, double loss, double heldOutAccuracy, double seconds) implements Serializable {
}
