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

    /**
     * {@code count} copies of the photos under {@code root}, in two subdirectories, named in the
     * order chunks take them: even/img-000, even/img-002, ..., odd/img-001, ...
     */
    static Path copies(Path root, int count) throws IOException {
        List<Path> photos = list();
        for (int i = 0; i < count; i++) {
            Path photo = photos.get(i % photos.size());
            Path file = root.resolve(i % 2 == 0 ? "even" : "odd")
                    .resolve(String.format("img-%03d%s", i, photo.toString().replaceAll(".*(\\.\\w+)$", "$1")));
            Files.createDirectories(file.getParent());
            Files.copy(photo, file);
        }
        return root;
    }
}
