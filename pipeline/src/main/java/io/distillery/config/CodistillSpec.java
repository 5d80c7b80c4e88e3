package io.distillery.config;

import com.typesafe.config.Config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Co-distillation (Anil et al. 2018) and deep mutual learning (Zhang et al. 2018): K models trained together, each
 * by parameter averaging over its own workers, each adding a term towards the other models' predictions, made on
 * the executors from stale snapshots exchanged every {@code exchangePeriod} rounds after a burn-in.
 *
 * @param path           output directory: one model artifact per model ({@code <path>/<name>}), the schedule and
 *                       provenance
 * @param models         the models, at least two, each with a unique name
 * @param train          the schedule every model trains on
 * @param shards         false: every model trains on every row; true: each model on its own disjoint share of the
 *                       partitions (partition p trains model p mod K)
 * @param exchangePeriod rounds between two snapshot exchanges, at least 1
 * @param burnInEpochs   epochs trained independently (peer weight 0) before the first exchange; less than
 *                       {@code train.epochs}
 * @param peerLoss       {@code kd} (KL at {@code temperature} towards the peers' mean tempered prediction) or
 *                       {@code logit-mse} (towards the peers' mean normalised logits)
 * @param temperature    T of the {@code kd} peer term
 * @param peerWeight     weight of the peer term once on
 * @param teacherWeight  weight of a {@code kd} term towards the soft-target store's teacher (0: no teacher; the
 *                       models read {@code data.train} instead of the store)
 * @param teacherTemperature T of that teacher term
 */
public record CodistillSpec(String path, List<NamedModel> models, TrainSpec train, boolean shards,
                            int exchangePeriod, double burnInEpochs, String peerLoss, double temperature,
                            double peerWeight, double teacherWeight, double teacherTemperature) {

    /** One of the models: its name (the artifact's directory and its key everywhere) and its architecture. */
    public record NamedModel(String name, ModelSpec model) {
    }

    static CodistillSpec from(Config c, Config studentModel, ConfigProblems problems) {
        String base = "distillery.codistill";
        List<NamedModel> models = new ArrayList<>();
        List<? extends Config> raw = c.getConfigList("models");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < raw.size(); i++) {
            Config m = raw.get(i);
            String path = base + ".models[" + i + "]";
            String name = EntryNames.checked(m, path, "co-distilled model", names, problems);
            if (name == null) {
                continue;
            }
            problems.check(!List.of("teacher", "student", "baseline").contains(name), "Key " + path + ".name is '"
                    + name + "', the name of an offline model in the report; choose another.");
            Config spec = m.withoutPath("name").withFallback(studentModel);
            models.add(new NamedModel(name, ModelSpec.from(spec, path, problems)));
        }
        TrainSpec train = TrainSpec.from(c.getConfig("train"), base + ".train", problems);
        String data = c.getString("data");
        CodistillSpec s = new CodistillSpec(c.getString("path"), List.copyOf(models), train,
                data.equals("shards"), c.getInt("exchange-period"), c.getDouble("burn-in"), c.getString("peer-loss"),
                c.getDouble("temperature"), c.getDouble("peer-weight"), c.getDouble("teacher-weight"),
                c.getDouble("teacher-temperature"));
        problems.check(raw.size() >= 2, "Key " + base + ".models has " + raw.size() + " model"
                + (raw.size() == 1 ? "" : "s") + "; co-distillation needs at least 2.");
        problems.check(data.equals("all") || data.equals("shards"),
                "Key " + base + ".data is '" + data + "'; use all or shards.");
        problems.check(s.exchangePeriod >= 1, "Key " + base + ".exchange-period is " + s.exchangePeriod
                + "; it must be at least 1 round.");
        problems.check(s.burnInEpochs >= 0 && s.burnInEpochs < train.epochs(), "Key " + base + ".burn-in is "
                + s.burnInEpochs + " epochs but " + base + ".train.epochs is " + train.epochs()
                + "; the burn-in must be shorter than training.");
        problems.check(s.peerLoss.equals("kd") || s.peerLoss.equals("logit-mse"),
                "Key " + base + ".peer-loss is '" + s.peerLoss + "'; use kd or logit-mse.");
        problems.check(s.temperature > 0 && Double.isFinite(s.temperature), "Key " + base + ".temperature is "
                + s.temperature + "; it must be positive.");
        problems.check(s.peerWeight >= 0 && Double.isFinite(s.peerWeight), "Key " + base + ".peer-weight is "
                + s.peerWeight + "; it must be finite and not negative.");
        problems.check(s.teacherWeight >= 0 && Double.isFinite(s.teacherWeight), "Key " + base
                + ".teacher-weight is " + s.teacherWeight + "; it must be finite and not negative.");
        problems.check(s.teacherTemperature > 0 && Double.isFinite(s.teacherTemperature), "Key " + base
                + ".teacher-temperature is " + s.teacherTemperature + "; it must be positive.");
        problems.check(!train.backend().equals("dl4j"), "Key " + base + ".train.backend is 'dl4j', which trains "
                + "one plain network; co-distillation needs 'distillery'.");
        return s;
    }

    /** The model names, in declaration order. */
    public List<String> names() {
        return models.stream().map(NamedModel::name).toList();
    }

    /** Whether the models also learn from the store's teacher. */
    public boolean usesTeacher() {
        return teacherWeight > 0;
    }

    /** Artifact directory of model {@code name}. */
    public String modelPath(String name) {
        return path + "/" + name;
    }
}
