package io.distillery.train;

import org.nd4j.linalg.dataset.api.MultiDataSet;

/** Opens {@link SelfDistillationStep#withTeacher} to tests of other packages. */
public final class SelfDistillationStepProbe {
    private SelfDistillationStepProbe() {
    }

    public static MultiDataSet withTeacher(Network net, MultiDataSet batch) {
        return SelfDistillationStep.withTeacher(net, batch);
    }

    public static MultiDataSet taught(Network net, MultiDataSet batch, boolean teacherStore, int classifiers,
                                      String hintTarget) {
        return SelfDistillationStep.taught(net, batch, teacherStore, classifiers, hintTarget);
    }

    public static MultiDataSet withStoredTeacher(Network net, MultiDataSet batch) {
        return SelfDistillationStep.withStoredTeacher(net, batch);
    }
}
