package dev.mobilenetspark.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LabelsTest {

    @Test
    void aLabelsFileIsReadLineByLineAndAnOversizedOneIsRefused(@TempDir Path dir) throws IOException {
        Path labels = Files.writeString(dir.resolve("labels.txt"), "\uFEFFbeach\nmountain\n");
        assertEquals(2, Labels.read(labels).size());
        assertEquals("mountain", Labels.read(labels).name(1));
        assertEquals("class_7", Labels.none().name(7));

        Path huge = dir.resolve("huge.txt");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(Labels.MAX_FILE_BYTES + 1);
        }
        assertEquals("labels file " + huge + " has 16777217 bytes, over the limit of 16777216",
                assertThrows(IllegalArgumentException.class, () -> Labels.read(huge)).getMessage());
    }
}
