package dev.mobilenetspark.job;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;

/**
 * An output directory written chunk by chunk. Parquet, ORC and JSON tables have one partition
 * directory per chunk ({@code labels/chunk=7/}); a chunk is staged under {@code _staging-*},
 * published by renames in a fixed order, and committed by its record {@code _chunks/7}, written
 * last. Delta tables take each chunk as one idempotent commit per table ({@link TableCommit}),
 * and then the record. A chunk whose record exists is never redone; one without is replaced
 * whole (or its Delta commits skipped) when it is run again, so a half-published chunk of a
 * killed driver does no harm. The run log {@code _run} names the run,
 * its model and its input, so that the same command continues an unfinished run. There is no
 * lock: two runs of one command on one output publish the same rows, and the record of
 * whichever commits first stands (it is renamed into place only if none is there yet).
 */
public final class ChunkedOutput {

    static final String RUN_LOG = "_run";
    static final String CHUNKS = "_chunks";

    /** The run a command continues or starts: chunk numbers from {@code firstChunk} on. */
    public record Run(String runId, int firstChunk, boolean resumed) { }

    /**
     * What a committed chunk holds: rows read, labelled, and failed by stage, and the
     * fingerprint of the files it was made from ({@link ChunkPlan.Chunk#fingerprint()}).
     */
    record ChunkRecord(String files, long read, long labelled, Map<String, Long> failedByStage) {

        long failed() {
            return failedByStage.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final FileSystem fs;
    /**
     * Where the run log and the chunk records are written: {@code fs}, but without checksum
     * files on the local file system. That one renames a file and then its {@code .crc}, so two
     * runs replacing one record at once could pair one run's file with the other's checksum.
     */
    private final FileSystem records;
    private final Path dir;
    private final OutputTarget target;

    private ChunkedOutput(FileSystem fs, Path dir, OutputTarget target) {
        this.fs = fs;
        this.records = fs instanceof ChecksumFileSystem checksummed ? checksummed.getRawFileSystem() : fs;
        this.dir = dir;
        this.target = target;
    }

    static ChunkedOutput open(OutputTarget target, Configuration conf) throws IOException {
        Path dir = new Path(target.directory());
        return new ChunkedOutput(dir.getFileSystem(conf), dir, target);
    }

    /**
     * Decides what this command does with the output, before anything is computed: continues an
     * unfinished run of the same model on the same input, starts over ({@code overwrite}),
     * starts a run after the committed ones ({@code append}) or on an empty output. Refuses,
     * with the reason, a finished output under {@code errorifexists} and an unfinished one of
     * another model or input.
     */
    Run begin(String modelId, String input, List<OutputTables.Table> written) throws IOException {
        Optional<Properties> log = runLog();
        if (target.mode().equals("overwrite")) {
            fs.delete(new Path(dir, RUN_LOG), true);
            fs.delete(new Path(dir, CHUNKS), true);
            for (OutputTables.Table table : OutputTables.Table.values()) {
                // A Delta table the run writes is replaced by its first commit, a new version of it;
                // anything else there (an earlier Parquet output, say) goes.
                Path tableDir = new Path(dir, table.suffix());
                if (!target.isLakehouse() || !written.contains(table) || !fs.exists(new Path(tableDir, "_delta_log"))) {
                    fs.delete(tableDir, true);
                }
            }
            for (String leftovers : new String[] {"_staging-*", "_plan-*"}) {
                FileStatus[] found = fs.globStatus(new Path(dir, leftovers));
                for (FileStatus leftover : found == null ? new FileStatus[0] : found) {
                    fs.delete(leftover.getPath(), true);
                }
            }
            return start(modelId, input, 0);
        }
        if (log.isPresent() && !"complete".equals(log.get().getProperty("state"))) {
            Properties run = log.get();
            if (!modelId.equals(run.getProperty("model-id")) || !input.equals(run.getProperty("input"))) {
                throw new IllegalArgumentException("output " + dir + " holds an unfinished run of model "
                        + run.getProperty("model-id") + " on input " + run.getProperty("input")
                        + "; run that command again to finish it, or use --mode overwrite to start over");
            }
            return new Run(run.getProperty("run-id"), Integer.parseInt(run.getProperty("first-chunk")), true);
        }
        if (target.mode().equals("errorifexists")) {
            for (String name : new String[] {RUN_LOG, "labels", "embeddings", "errors"}) {
                if (fs.exists(new Path(dir, name))) {
                    throw new IllegalArgumentException("output " + new Path(dir, name) + " already exists; choose another --output"
                            + " or --mode overwrite or append");
                }
            }
        }
        return start(modelId, input, committed().keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1);
    }

    private Run start(String modelId, String input, int firstChunk) throws IOException {
        Run run = new Run(UUID.randomUUID().toString(), firstChunk, false);
        Properties log = new Properties();
        log.setProperty("run-id", run.runId());
        log.setProperty("model-id", modelId);
        log.setProperty("input", input);
        log.setProperty("first-chunk", Integer.toString(firstChunk));
        log.setProperty("state", "running");
        writeRunLog(log);
        return run;
    }

    /** The run log, if the output has one. */
    Optional<Properties> runLog() throws IOException {
        Path file = new Path(dir, RUN_LOG);
        if (!records.exists(file)) {
            return Optional.empty();
        }
        return Optional.of(readProperties(file));
    }

    /** Replaces the run log (written aside, then renamed over the old one). */
    void writeRunLog(Properties log) throws IOException {
        write(new Path(dir, RUN_LOG), log, true);
    }

    /** The committed chunks by number. */
    Map<Integer, ChunkRecord> committed() throws IOException {
        Map<Integer, ChunkRecord> records = new TreeMap<>();
        Path chunks = new Path(dir, CHUNKS);
        if (!this.records.exists(chunks)) {
            return records;
        }
        for (FileStatus file : this.records.listStatus(chunks)) {
            String name = file.getPath().getName();
            if (name.matches("\\d+")) {
                records.put(Integer.parseInt(name), readRecord(file.getPath()));
            }
        }
        return records;
    }

    /** Chunk {@code chunk}'s record, if it is committed: another run of the same command may have committed it. */
    Optional<ChunkRecord> record(int chunk) throws IOException {
        Path file = recordFile(chunk);
        return records.exists(file) ? Optional.of(readRecord(file)) : Optional.empty();
    }

    private ChunkRecord readRecord(Path file) throws IOException {
        Properties p = readProperties(file);
        Map<String, Long> failed = new TreeMap<>();
        p.stringPropertyNames().stream().filter(k -> k.startsWith("failed."))
                .forEach(k -> failed.put(k.substring("failed.".length()), Long.parseLong(p.getProperty(k))));
        return new ChunkRecord(p.getProperty("files", ""), Long.parseLong(p.getProperty("read")),
                Long.parseLong(p.getProperty("labelled")), failed);
    }

    /** A new directory for staging one chunk's tables; readers skip it (its name starts with '_'). */
    Path staging() {
        return new Path(dir, "_staging-" + UUID.randomUUID());
    }

    /**
     * Moves the staged tables of chunk {@code chunk} into place, table by table in a fixed order
     * (replacing what a run that died half-way left there), then writes its record. Returns
     * false, publishing nothing, when another run committed the chunk first.
     */
    boolean publish(int chunk, Path staged, Iterable<OutputTables.Table> tables, String runId, ChunkRecord record)
            throws IOException {
        Path recordFile = recordFile(chunk);
        if (fs.exists(recordFile)) {
            return false;
        }
        for (OutputTables.Table table : tables) {
            Path destination = new Path(new Path(dir, table.suffix()), "chunk=" + chunk);
            Path source = new Path(staged, table.suffix());
            fs.mkdirs(destination.getParent());
            if (fs.exists(recordFile)) {
                // Committed meanwhile by a run of the same command: its rows are these rows.
                return false;
            }
            fs.delete(destination, true);
            boolean moved = fs.rename(source, destination);
            // A run publishing the same chunk at the same moment made the destination first: a
            // rename then moves into it. Its rows are these rows, so one copy stays.
            Path nested = new Path(destination, source.getName());
            if (fs.exists(nested)) {
                fs.delete(nested, true);
            } else if (!moved && !fs.exists(destination)) {
                throw new IOException("cannot move " + source + " to " + destination);
            }
        }
        return commit(chunk, runId, record);
    }

    /** Writes chunk {@code chunk}'s record, unless one is there; returns whether this wrote it. */
    boolean commit(int chunk, String runId, ChunkRecord record) throws IOException {
        Properties p = new Properties();
        p.setProperty("run-id", runId);
        p.setProperty("files", record.files());
        p.setProperty("read", Long.toString(record.read()));
        p.setProperty("labelled", Long.toString(record.labelled()));
        record.failedByStage().forEach((stage, n) -> p.setProperty("failed." + stage, Long.toString(n)));
        return write(recordFile(chunk), p, false);
    }

    private Path recordFile(int chunk) {
        return new Path(new Path(dir, CHUNKS), Integer.toString(chunk));
    }

    void delete(Path path) throws IOException {
        fs.delete(path, true);
    }

    Path directory() {
        return dir;
    }

    boolean exists(Path path) throws IOException {
        return fs.exists(path);
    }

    /** Renames {@code source} to {@code destination} in one step unless something is there already; returns whether it moved. */
    boolean renameIfAbsent(Path source, Path destination) throws IOException {
        try {
            FileContext.getFileContext(fs.getUri(), fs.getConf()).rename(source, destination, Options.Rename.NONE);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    /** Writes {@code p} to {@code file} unless it exists (see {@link #write}). */
    boolean writeProperties(Path file, Properties p) throws IOException {
        return write(file, p, false);
    }

    Properties readProperties(Path file) throws IOException {
        Properties p = new Properties();
        try (FSDataInputStream in = records.open(file)) {
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        }
        return p;
    }

    /**
     * Writes {@code p} aside, then renames it onto {@code file} in one step (on HDFS and local
     * disks): a reader, or a driver killed meanwhile, sees the old file or the new one, never
     * none. With {@code replace} off the rename fails if the file exists; returns whether it was
     * written.
     */
    private boolean write(Path file, Properties p, boolean replace) throws IOException {
        records.mkdirs(file.getParent());
        Path tmp = new Path(file.getParent(), "." + file.getName() + "-" + UUID.randomUUID());
        try (FSDataOutputStream out = records.create(tmp, false)) {
            p.store(new OutputStreamWriter(out, StandardCharsets.UTF_8), "mobilenet-spark");
        }
        try {
            if (!replace) {
                return renameIfAbsent(tmp, file);
            }
            if (records instanceof RawLocalFileSystem) {
                // rename(2) replaces in one step; Hadoop's overwriting rename checks, deletes and
                // then moves, which a second run replacing the same file can interleave.
                if (!records.rename(tmp, file)) {
                    throw new IOException("cannot replace " + file);
                }
            } else {
                FileContext.getFileContext(records.getUri(), records.getConf()).rename(tmp, file, Options.Rename.OVERWRITE);
            }
            return true;
        } finally {
            records.delete(tmp, false);
        }
    }
}
