package dev.mobilenetspark.job;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Table names as they reach SQL text: parsed as Spark parses them, every part a quoted identifier. */
class CatalogRunTest {

    @Test
    void everyPartOfATableNameIsAQuotedIdentifier() {
        assertEquals("`lake`.`db`.`photos_errors`", CatalogRun.quoted("lake.db.photos_errors"));
        assertEquals("`db`.`odd.name``s`", CatalogRun.quoted("db.`odd.name``s`"));
        assertEquals("`db`.`x; DROP TABLE y`", CatalogRun.quoted("db.`x; DROP TABLE y`"));
        assertThrows(IllegalArgumentException.class, () -> CatalogRun.quoted("db.x; DROP TABLE y"));
    }
}
