package dev.mobilenetspark.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The photos in data-samples/photos, in file-name order. */
final class SamplePhotos {

    static final Path DIR = Path.of("../data-samples/photos");

    private SamplePhotos() {
    }

    static List<Path> list() throws IOException {
        try (var files = Files.list(DIR)) {
            return files.filter(p -> p.toString().matches(".*\\.(jpg|png)")).sorted().toList();
        }
    }
}
