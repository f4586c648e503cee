package dev.mobilenetspark.job;

import org.apache.spark.SparkConf;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Values for options not given on the command line: first from {@code --conf-file} (a
 * properties file keyed by long option name, e.g. {@code batch-size=64}), then from Spark's
 * configuration ({@code spark.mobilenet.batch-size=64}, e.g. through spark-submit's --conf),
 * then the option's own default. So a run can be reproduced from one file, and the command
 * line always wins.
 */
final class OptionDefaults implements CommandLine.IDefaultValueProvider {

    static final String SPARK_PREFIX = "spark.mobilenet.";
    static final String CONF_FILE = "conf-file";

    private final Properties file;
    private final String fileName;
    private final SparkConf spark;

    private OptionDefaults(Properties file, String fileName, SparkConf spark) {
        this.file = file;
        this.fileName = fileName;
        this.spark = spark;
    }

    /** Finds {@code --conf-file} among the arguments (or in Spark's configuration) and reads it. */
    static OptionDefaults forArguments(String[] args) {
        SparkConf spark = new SparkConf(true);
        String confFile = spark.get(SPARK_PREFIX + CONF_FILE, null);
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--" + CONF_FILE) && i + 1 < args.length) {
                confFile = args[i + 1];
            } else if (args[i].startsWith("--" + CONF_FILE + "=")) {
                confFile = args[i].substring(CONF_FILE.length() + 3);
            }
        }
        Properties props = new Properties();
        if (confFile != null) {
            try (Reader in = Files.newBufferedReader(Path.of(confFile), StandardCharsets.UTF_8)) {
                props.load(in);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read conf file " + confFile + ": " + e.getMessage());
            }
        }
        return new OptionDefaults(props, confFile, spark);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return null;
        }
        String key = option.longestName().replaceFirst("^--", "");
        String value = file.getProperty(key);
        return value != null ? value.trim() : spark.get(SPARK_PREFIX + key, null);
    }

    /** Fails on keys that name no option of {@code command}: a typo must not pass silently. */
    void checkKeys(CommandLine.Model.CommandSpec command) {
        Set<String> known = new TreeSet<>();
        for (OptionSpec o : command.options()) {
            known.add(o.longestName().replaceFirst("^--", ""));
        }
        for (String key : file.stringPropertyNames()) {
            if (!known.contains(key)) {
                throw new IllegalArgumentException("conf file " + fileName + " has unknown option '" + key + "'");
            }
        }
        for (scala.Tuple2<String, String> entry : spark.getAllWithPrefix(SPARK_PREFIX)) {
            if (!known.contains(entry._1())) {
                throw new IllegalArgumentException("unknown option in Spark configuration: " + SPARK_PREFIX + entry._1());
            }
        }
    }
}
