package io.distillery.config;

import com.typesafe.config.Config;

/**
 * A model role (teacher or student): where its artifact goes, its architecture, and how it is trained.
 *
 * @param path  output directory of the model artifact ({@code model.zip} + {@code metadata.json})
 * @param model architecture and optimiser
 * @param train training schedule
 */
public record RoleSpec(String path, ModelSpec model, TrainSpec train) {

    static RoleSpec from(Config c, String path, ConfigProblems problems) {
        return new RoleSpec(c.getString("path"), ModelSpec.from(c.getConfig("model"), path + ".model", problems),
                TrainSpec.from(c.getConfig("train"), path + ".train", problems));
    }
}
