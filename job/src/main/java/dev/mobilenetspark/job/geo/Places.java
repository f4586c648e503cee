package dev.mobilenetspark.job.geo;

import com.google.common.geometry.S2CellId;
import com.google.common.geometry.S2LatLng;

import dev.mobilenetspark.model.Labels;

import java.io.Serializable;
import java.util.Optional;

/**
 * A places model's classes: S2 cells, each label {@code s2:TOKEN} (as {@code train-head} names
 * the cells of {@code geo-cells}), with the cells' centres, which the labels table reports as
 * the image's predicted position.
 *
 * @param tokens  the cells' tokens, by class
 * @param centres latitude and longitude in degrees, two per class
 */
public record Places(String[] tokens, double[] centres) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The prefix of a places model's labels. */
    public static final String LABEL_PREFIX = "s2:";

    /** The label of {@code cell}'s class. */
    public static String label(S2CellId cell) {
        return LABEL_PREFIX + cell.toToken();
    }

    /** The places of a model whose every label names an S2 cell; empty for any other model. */
    public static Optional<Places> of(Labels labels) {
        if (labels.isEmpty()) {
            return Optional.empty();
        }
        String[] tokens = new String[labels.size()];
        double[] centres = new double[2 * labels.size()];
        for (int i = 0; i < labels.size(); i++) {
            String name = labels.name(i);
            S2CellId cell = name.startsWith(LABEL_PREFIX) ? cell(name.substring(LABEL_PREFIX.length())) : null;
            if (cell == null) {
                return Optional.empty();
            }
            tokens[i] = cell.toToken();
            S2LatLng centre = cell.toLatLng();
            centres[2 * i] = centre.latDegrees();
            centres[2 * i + 1] = centre.lngDegrees();
        }
        return Optional.of(new Places(tokens, centres));
    }

    /** The cell a token names, or null when it names none. */
    static S2CellId cell(String token) {
        if (!token.matches("[0-9a-f]{1,16}")) {
            return null;
        }
        S2CellId cell = S2CellId.fromToken(token);
        return cell.isValid() ? cell : null;
    }
}
